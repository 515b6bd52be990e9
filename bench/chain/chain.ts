// Where a request's cost goes, hop by hop, on the running compose cluster (issue 12). From a
// throwaway container on the compose network (generator.mjs), in one run: (a) an api node directly,
// (b) lb -> api, (c) gateway -> lb -> api, each for a static route and a cache-hit GET. For each:
// requests/s at saturation (closed loop, CONNECTIONS), then p50/p99 at half that rate (open model),
// and CPU ms per 1,000 requests of each container on the path (its cgroup's usage before/after).
// Then the open model at each of FRACTIONS of the saturation rate: p50/p99, the whole machine's busy
// share (/proc/stat) and the CPU per request of the path plus the generator at that rate, which is
// not the saturation's (a request that arrives alone wakes every process on its path by itself; the
// figure includes what the containers spend idle and the generator's start, which weigh most at low rates).
// Usage: node bench/chain/chain.ts   (env DURATION=10 seconds per measurement, CONNECTIONS=32,
// HOPS=api,lb,gateway and ROUTES=static,cache-hit to measure only some, FRACTIONS=0.1,0.25,0.5 for
// the sweep (default 0.5 only: the first table's); needs `./lab up` and `npx tsc -b`)
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { containerOf, docker, project } from '../../libs/compose/dist/index.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const root = join(import.meta.dirname, '../..');
const GEN = 'sdl-bench-chain';
/** The open-model generator's unmeasured first seconds (generator.mjs's default). */
const WARMUP_S = 2;
const only = (name: string, all: string): Set<string> => new Set((process.env[name] ?? all).split(','));
const HOPS = only('HOPS', 'api,lb,gateway');
const ROUTES = only('ROUTES', 'static,cache-hit');
const FRACTIONS = (process.env.FRACTIONS ?? '0.5').split(',').map(Number);
if (FRACTIONS.some((f) => !(f > 0 && f <= 1))) throw new Error('FRACTIONS: numbers in (0, 1], such as 0.1,0.25,0.5');

const secret = readFileSync(join(root, '.lab/secrets/gateway-secret'), 'utf8').trim();
const INTERNAL = { 'x-gateway-secret': secret, 'x-tenant-id': 'demo' };
// Through the gateway, requests take turns between two keys of 1,000 req/s each (compose's LIMITS):
// above 2,000 req/s the limiter answers 429s, counted as failed.
const EDGE_KEYS = { 'x-api-key': ['lab-demo-key', 'lab-other-key'] };

/** Microseconds of CPU a container has used (cgroup v1 cpuacct or v2 cpu.stat). */
function cpuUs(id: string): number {
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  if (existsSync(v1)) return Number(readFileSync(v1, 'utf8')) / 1000;
  const v2 = `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`;
  const line = readFileSync(v2, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('usage_usec'));
  return Number(line?.split(' ')[1] ?? 0);
}

/** The machine's busy and total jiffies, all cores (/proc/stat's first line; idle and iowait are not busy). */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

interface Result {
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  rps: number;
  p50: number | null;
  p99: number | null;
}

async function generate(args: string[]): Promise<Result> {
  const { stdout } = await run(
    'docker',
    ['exec', '-w', '/app/services/lb', GEN, 'node', '/app/services/lb/bench-generator.mjs', ...args],
    {
      timeout: (SECONDS + 60) * 1000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Result;
}

const paths = new Map<string, string[]>([
  ['api', ['api-1']],
  ['lb', ['lb', 'api-1', 'api-2', 'api-3']],
  ['gateway', ['gateway', 'ratelimiter', 'lb', 'api-1', 'api-2', 'api-3']],
]);

async function main(): Promise<void> {
  console.log(
    `chain: ${new Date().toISOString()}, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  // A cache-hit GET needs an account of the caller's tenant: one per API key, made through the edge.
  const accounts: string[] = [];
  for (const key of EDGE_KEYS['x-api-key']) {
    const made = await fetch('http://127.0.0.1:8080/v1/accounts', {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'chain@bench.test', name: 'Chain' }),
    });
    if (made.status !== 201)
      throw new Error(`cannot create an account (${made.status}): is the cluster up (./lab up)?`);
    accounts.push(((await made.json()) as { id: string }).id);
  }
  const image = (await docker(['inspect', '-f', '{{.Config.Image}}', await containerOf('api-1')])).trim();
  await docker(['rm', '-f', GEN]).catch(() => undefined);
  await docker([
    'run',
    '-d',
    '--rm',
    '--name',
    GEN,
    '--network',
    `${project}_default`,
    '--entrypoint',
    'sleep',
    image,
    '3600',
  ]);
  try {
    await docker(['cp', join(import.meta.dirname, 'generator.mjs'), `${GEN}:/app/services/lb/bench-generator.mjs`]);
    const containers = new Map<string, string>();
    // The full id: the cgroup is named after it.
    for (const svc of new Set([...paths.values()].flat())) {
      containers.set(svc, (await docker(['inspect', '-f', '{{.Id}}', await containerOf(svc)])).trim());
    }
    containers.set(GEN, (await docker(['inspect', '-f', '{{.Id}}', GEN])).trim());
    const rows: string[] = [];
    const sweep: string[] = [];
    for (const route of [
      { name: 'static', paths: ['/v1/plans'] },
      { name: 'cache-hit', paths: accounts.map((id) => `/v1/accounts/${id}`) },
    ].filter((r) => ROUTES.has(r.name))) {
      const targets = [
        { hop: 'api', base: 'http://api-1:3000', headers: INTERNAL },
        { hop: 'lb', base: 'http://lb:8081', headers: INTERNAL },
        { hop: 'gateway', base: 'http://gateway:8080', headers: EDGE_KEYS },
      ].filter((t) => HOPS.has(t.hop));
      for (const t of targets) {
        // Behind the gateway each key reads its own tenant's account; inside, the demo tenant's.
        const url = (t.hop === 'gateway' ? route.paths : route.paths.slice(0, 1)).map((p) => t.base + p).join(',');
        const headers = JSON.stringify(t.headers);
        const on = paths.get(t.hop)!;
        const before = on.map((s) => cpuUs(containers.get(s)!));
        const sat = await generate(['closed', url, String(CONNECTIONS), String(SECONDS), headers]);
        const after = on.map((s) => cpuUs(containers.get(s)!));
        const perK = on
          .map((s, i) => `${s} ${(((after[i]! - before[i]!) / 1000 / Math.max(1, sat.ok)) * 1000).toFixed(0)}`)
          .join(', ');
        let half: { rate: number; open: Result } | undefined;
        for (const fraction of [...new Set([0.5, ...FRACTIONS])].sort((a, b) => a - b)) {
          const rate = Math.max(1, Math.round(sat.rps * fraction));
          const counted = [...on, GEN];
          const cpuBefore = counted.map((s) => cpuUs(containers.get(s)!));
          const m0 = machineJiffies();
          const open = await generate(['open', url, String(rate), String(SECONDS), headers]);
          const m1 = machineJiffies();
          const cpuAfter = counted.map((s) => cpuUs(containers.get(s)!));
          if (fraction === 0.5) half = { rate, open };
          if (!FRACTIONS.includes(fraction)) continue;
          // The generator also sends (unmeasured) during its warm-up: CPU per request sent.
          const sent = open.ok + open.errors + rate * WARMUP_S;
          const perReq = (i: number) => (cpuAfter[i]! - cpuBefore[i]!) / 1000 / sent;
          const path = on.reduce((sum, _s, i) => sum + perReq(i), 0);
          const busy = ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100;
          const line = `| ${route.name} | ${t.hop} | ${(fraction * 100).toFixed(0)} % = ${rate} | ${open.p50?.toFixed(1)} / ${open.p99?.toFixed(1)} (${open.errors} failed) | ${busy.toFixed(0)} % | ${(path * 1000).toFixed(0)} + ${(perReq(on.length) * 1000).toFixed(0)} |`;
          console.log(line);
          sweep.push(line);
        }
        const row = `| ${route.name} | ${t.hop} | ${sat.rps.toFixed(0)} (${sat.errors} failed) | ${half!.rate} | ${half!.open.p50?.toFixed(1)} / ${half!.open.p99?.toFixed(1)} (${half!.open.errors} failed) | ${perK} |`;
        console.log(row);
        rows.push(row);
      }
    }
    console.log(
      `\n| route | entry | req/s at saturation (${CONNECTIONS} connections, ${SECONDS} s) | open-model rate | p50 / p99 ms at that rate | CPU ms per 1,000 requests (saturation) |\n|---|---|---|---|---|---|\n${rows.join('\n')}`,
    );
    console.log(
      `\n| route | entry | open-model rate (of saturation) | p50 / p99 ms | machine busy (${cpus().length} cores) | CPU ms per 1,000 requests: path + generator |\n|---|---|---|---|---|---|\n${sweep.join('\n')}`,
    );
  } finally {
    await docker(['rm', '-f', GEN]).catch(() => undefined);
  }
}

await main();
