// Benchmark 5 (issue 4): replica lag under a steady write rate. A primary and its streaming hot
// standby (the project's entrypoint, the api tests' own helper services/api/test/support/pg-replication.ts),
// one api node on them (SHARD_REPLICAS set), no Redis. For each rate in RATES, POST /v1/accounts
// (one INSERT + its outbox row per transaction) is sent open-loop at that rate for DURATION s
// (at most MAX_IN_FLIGHT outstanding; requests that would exceed it are counted as skipped), while
// pg_stat_replication on the primary is sampled every SAMPLE_MS through one psql session:
// bytes = pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), time = replay_lag.
// Then the same rates straight from pgbench (`-R rate`, 8 clients, one INSERT of a row shaped like
// an account + one like its outbox event per transaction), for rates the api node cannot reach here.
// Build first (`npx tsc -b`). Usage: node bench/api/replica-lag.ts
//   (env RATES=200,1000 DURATION=15 SAMPLE_MS=100 MAX_IN_FLIGHT=256)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { startReplicatedPostgres } from '../../services/api/test/support/pg-replication.ts';
import { pgbench } from './pgbench.ts';
import { onCleanup, percentile, psql, runBench, startApi, table } from './stack.ts';

const RATES = (process.env.RATES ?? '200,1000').split(',').map(Number);
const DURATION = Number(process.env.DURATION ?? 15);
const SAMPLE_MS = Number(process.env.SAMPLE_MS ?? 100);
const MAX_IN_FLIGHT = Number(process.env.MAX_IN_FLIGHT ?? 256);

const LAG_SQL =
  'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), coalesce(extract(epoch FROM replay_lag) * 1000, 0) FROM pg_stat_replication LIMIT 1;';

interface Sample {
  readonly bytes: number;
  readonly ms: number;
}

/** One psql session answering LAG_SQL every SAMPLE_MS until `stop()`. */
function sampleLag(adminUrl: string): { stop(): Promise<Sample[]> } {
  const child = spawn('psql', [adminUrl, '-AtXq'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const samples: Sample[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [bytes, ms] = line.split('|').map(Number);
    if (bytes !== undefined && ms !== undefined && Number.isFinite(bytes)) samples.push({ bytes, ms });
  });
  const timer = setInterval(() => child.stdin.write(`${LAG_SQL}\n`), SAMPLE_MS);
  return {
    async stop() {
      clearInterval(timer);
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      await exited;
      return samples;
    },
  };
}

function createAccount(agent: Agent, url: string, i: number): Promise<number> {
  const body = JSON.stringify({ email: `lag${i}@example.com`, name: `lag ${i}` });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/accounts`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface RateResult {
  readonly writer: 'api' | 'pgbench';
  readonly target: number;
  readonly achieved: number;
  readonly skipped: number;
  readonly errors: number;
  readonly samples: Sample[];
}

const PGBENCH_SQL = `BEGIN;
INSERT INTO lag_accounts (email, name) VALUES ('lag' || :client_id || '@example.com', 'lag bench account');
INSERT INTO lag_outbox (payload) VALUES ('{"type":"account.created","email":"lag@example.com","name":"lag bench account"}');
END;
`;

/** The same load from pgbench: `-R rate` schedules transactions open-loop (Poisson arrivals). */
async function pgbenchWrites(url: string, rate: number, adminUrl: string): Promise<RateResult> {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-api-lag-')), 'write.sql');
  writeFileSync(file, PGBENCH_SQL);
  const sampler = sampleLag(adminUrl);
  const r = await pgbench(url, [
    '-n',
    '-R',
    String(rate),
    '-T',
    String(DURATION),
    '-c',
    '8',
    '-j',
    '1',
    '-f',
    file,
  ]).finally(() => rmSync(dirname(file), { recursive: true, force: true }));
  const samples = await sampler.stop();
  return { writer: 'pgbench', target: rate, achieved: r.tps, skipped: r.skipped, errors: r.failed, samples };
}

/** Sends `rate` creates per second for DURATION s, open loop, on 5 ms ticks. */
async function steadyWrites(url: string, rate: number, adminUrl: string): Promise<RateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const sampler = sampleLag(adminUrl);
  let sent = 0;
  let done = 0;
  let skipped = 0;
  let errors = 0;
  let inFlight = 0;
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  while (performance.now() - started < DURATION * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate) - sent - skipped;
    for (let k = 0; k < due; k += 1) {
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped += 1;
        continue;
      }
      inFlight += 1;
      const p = createAccount(agent, url, (sent += 1))
        .then((status) => void (status === 201 ? (done += 1) : (errors += 1)))
        .catch(() => void (errors += 1))
        .finally(() => {
          inFlight -= 1;
          pending.delete(p);
        });
      pending.add(p);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(pending);
  agent.destroy();
  return { writer: 'api', target: rate, achieved: done / elapsed, skipped, errors, samples: await sampler.stop() };
}

await runBench('replica-lag', 240 + RATES.length * 2 * (DURATION + 30), async () => {
  const pg = await startReplicatedPostgres();
  onCleanup(() => pg.stop());
  const primaryAdminUrl = pg.primaryUrl.replace('//lab:lab@', '//postgres:postgres@');
  const node = await startApi(1, { SHARD_PRIMARIES: pg.primaryUrl, SHARD_REPLICAS: pg.replicaUrl, PG_POOL_MAX: '20' });
  await steadyWrites(node.url, 100, primaryAdminUrl).catch(() => undefined); // warm-up (JIT, pools)

  const results: RateResult[] = [];
  for (const rate of RATES) results.push(await steadyWrites(node.url, rate, primaryAdminUrl));
  await psql(
    pg.primaryUrl,
    'CREATE TABLE lag_accounts (id bigserial PRIMARY KEY, email text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());' +
      'CREATE TABLE lag_outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL DEFAULT gen_random_uuid(), payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());',
  );
  for (const rate of RATES) results.push(await pgbenchWrites(pg.primaryUrl, rate, primaryAdminUrl));

  console.log(
    `\nreplica lag under steady writes (POST /v1/accounts, one api node; then pgbench -R, 8 clients; primary + streaming hot standby in containers), ${DURATION} s per rate, pg_stat_replication sampled every ${SAMPLE_MS} ms\n`,
  );
  const q = (xs: number[], p: number) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      p,
    );
  console.log(
    table(
      [
        'writer',
        'writes/s target',
        'achieved',
        'skipped',
        'errors',
        'samples',
        'lag bytes p50',
        'p99',
        'max',
        'replay_lag ms p50',
        'p99',
        'max',
      ],
      results.map((r) => {
        const bytes = r.samples.map((s) => s.bytes);
        const ms = r.samples.map((s) => s.ms);
        return [
          r.writer,
          r.target,
          r.achieved.toFixed(0),
          r.skipped,
          r.errors,
          r.samples.length,
          q(bytes, 50),
          q(bytes, 99),
          Math.max(...bytes),
          q(ms, 50).toFixed(2),
          q(ms, 99).toFixed(2),
          Math.max(...ms).toFixed(2),
        ];
      }),
    ),
  );
});
