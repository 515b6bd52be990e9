// lb against nginx and HAProxy (and the upstream direct), all measured in one run with wrk.
// One stub upstream (stub-upstream.ts: node:http, fixed whoami-like JSON body); in front of it, on
// 127.0.0.1: the lb from services/lb/dist/main.js, nginx (1 worker) and HAProxy (nbthread 1), both with
// upstream keep-alive and X-Forwarded-For, configs generated into a temp dir. Each round runs every target
// (rotating the order) at CONCURRENCY for SECONDS, then at concurrency 1 for C1_SECONDS; medians over
// ROUNDS. node-min (min-proxy.ts) is the floor for a Node proxy: node:http + undici, nothing else. Needs `apt-get install -y nginx haproxy wrk` and a built lb (`npx tsc -b`).
// WORKERS=n runs nginx with n worker processes, HAProxy with n threads and the lb with LB_WORKERS=n
// (node-min stays one process: the reference for one Node worker).
// Usage: node bench/lb/vs-proxies.ts   (env DURATION=10 C1_SECONDS=5 CONCURRENCY=64 ROUNDS=3 WRK_THREADS=1 WORKERS=1 LB_PROF=0
// LB_BEFORE=<path to another build's main.js>, measured as target `lb-before` beside the lb, for before/after figures from one run)
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, ready, root, start, startScript, stopAll } from './proc.ts';

const SECONDS = Number(process.env.DURATION ?? 10);
const C1_SECONDS = Number(process.env.C1_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WRK_THREADS = process.env.WRK_THREADS ?? '1';
const LB_PROF = process.env.LB_PROF === '1';
const LB_BEFORE = process.env.LB_BEFORE ?? '';
const WORKERS = Number(process.env.WORKERS ?? 1);
const PATH = '/v1/whoami';

const UP = 18100;
const LB = 18101;
const LB_ADMIN = 18102;
const NGINX = 18103;
const HAPROXY = 18104;
const MIN = 18105;
const LB_BEFORE_PORT = 18106;
const LB_BEFORE_ADMIN = 18107;
const dir = mkdtempSync(join(tmpdir(), 'lb-vs-proxies-'));

const nginxConf = `worker_processes ${WORKERS};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-tmp/body;
  proxy_temp_path ${dir}/nginx-tmp/proxy;
  fastcgi_temp_path ${dir}/nginx-tmp/fastcgi;
  uwsgi_temp_path ${dir}/nginx-tmp/uwsgi;
  scgi_temp_path ${dir}/nginx-tmp/scgi;
  upstream api { server 127.0.0.1:${UP}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${NGINX};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
const haproxyConf = `global
  nbthread ${WORKERS}
  maxconn 4000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  option forwardfor
  http-reuse always
frontend fe
  bind 127.0.0.1:${HAPROXY}
  default_backend be
backend be
  server api 127.0.0.1:${UP}
`;

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const toMs = (v: string, unit: string): number =>
  Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1);

function wrk(url: string, conns: number, seconds: number): Promise<WrkResult> {
  const args = [`-t${Math.min(Number(WRK_THREADS), conns)}`, `-c${conns}`, `-d${seconds}s`, '--latency', url];
  return new Promise((resolve, reject) =>
    execFile('wrk', args, (err, out) => {
      if (err) return reject(err);
      const pct = (p: string) => {
        const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
        if (!m) throw new Error(`wrk output without ${p}%:\n${out}`);
        return toMs(m[1]!, m[2]!);
      };
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      resolve({ rps, p50: pct('50'), p99: pct('99'), errors });
    }),
  );
}

const targets: Record<string, string> = {
  direct: `http://127.0.0.1:${UP}${PATH}`,
  lb: `http://127.0.0.1:${LB}${PATH}`,
  ...(LB_BEFORE === '' ? {} : { 'lb-before': `http://127.0.0.1:${LB_BEFORE_PORT}${PATH}` }),
  nginx: `http://127.0.0.1:${NGINX}${PATH}`,
  haproxy: `http://127.0.0.1:${HAPROXY}${PATH}`,
  'node-min': `http://127.0.0.1:${MIN}${PATH}`,
};
type Target = string;
const names = Object.keys(targets);

const lbEnv = (proxyPort: number, adminPort: number): Record<string, string> => ({
  HOST: '127.0.0.1',
  PORT: String(adminPort),
  PROXY_PORT: String(proxyPort),
  ETCD_ENDPOINTS: '',
  STATIC_UPSTREAMS: `api-1=http://127.0.0.1:${UP}`,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  LB_WORKERS: String(WORKERS),
});

async function main(): Promise<void> {
  mkdirSync(join(dir, 'nginx-tmp'));
  writeFileSync(join(dir, 'nginx.conf'), nginxConf);
  writeFileSync(join(dir, 'haproxy.cfg'), haproxyConf);
  startScript('stub-upstream', [String(UP)]);
  await ready(`http://127.0.0.1:${UP}/healthz`);
  const lbArgs = LB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${dir}/prof`] : [];
  const lb = start(process.execPath, [...lbArgs, join(root, 'services/lb/dist/main.js')], lbEnv(LB, LB_ADMIN));
  if (LB_BEFORE !== '') start(process.execPath, [LB_BEFORE], lbEnv(LB_BEFORE_PORT, LB_BEFORE_ADMIN));
  start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'nginx-error.log')]);
  start('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db']);
  startScript('min-proxy', [String(MIN), String(UP)]);
  for (const t of names) await ready(targets[t]!);
  // Warm-up (JIT, keep-alive pools).
  for (const t of names) await wrk(targets[t]!, CONCURRENCY, 2);

  const runs: Record<Target, { hi: WrkResult[]; one: WrkResult[] }> = Object.fromEntries(
    names.map((t) => [t, { hi: [], one: [] }]),
  ) as never;
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const t of order) {
      const hi = await wrk(targets[t]!, CONCURRENCY, SECONDS);
      runs[t]!.hi.push(hi);
      const one = await wrk(targets[t]!, 1, C1_SECONDS);
      runs[t]!.one.push(one);
      console.error(
        `round ${r + 1} ${t.padEnd(8)} c=${CONCURRENCY}: ${hi.rps.toFixed(0)} req/s p50 ${hi.p50.toFixed(2)} ms p99 ${hi.p99.toFixed(2)} ms | c=1: ${one.rps.toFixed(0)} req/s p50 ${(one.p50 * 1000).toFixed(0)} us${hi.errors + one.errors ? ` ERRORS ${hi.errors + one.errors}` : ''}`,
      );
    }
  }

  const med = Object.fromEntries(
    names.map((t) => [
      t,
      {
        rps: median(runs[t]!.hi.map((x) => x.rps)),
        p50: median(runs[t]!.hi.map((x) => x.p50)),
        p99: median(runs[t]!.hi.map((x) => x.p99)),
        rps1: median(runs[t]!.one.map((x) => x.rps)),
        p50c1: median(runs[t]!.one.map((x) => x.p50)),
        p99c1: median(runs[t]!.one.map((x) => x.p99)),
        errors: [...runs[t]!.hi, ...runs[t]!.one].reduce((a, x) => a + x.errors, 0),
      },
    ]),
  ) as Record<
    Target,
    { rps: number; p50: number; p99: number; rps1: number; p50c1: number; p99c1: number; errors: number }
  >;

  console.log(
    `\nlb vs nginx vs HAProxy at ${WORKERS} worker(s) each (node-min: 1): one stub upstream (node:http, fixed JSON), wrk -t${WRK_THREADS}, ${ROUNDS} interleaved rounds, medians; c=${CONCURRENCY} for ${SECONDS} s, c=1 for ${C1_SECONDS} s\n`,
  );
  console.log(
    `| target   | req/s c=${CONCURRENCY} | p50 ms | p99 ms | req/s c=1 | p50 c=1 us | added p50 c=1 us | p99 c=1 us | errors |`,
  );
  console.log('|----------|------:|------:|------:|------:|------:|------:|------:|---:|');
  for (const t of names) {
    const m = med[t]!;
    const added = t === 'direct' ? '-' : ((m.p50c1 - med.direct!.p50c1) * 1000).toFixed(0);
    console.log(
      `| ${t.padEnd(8)} | ${m.rps.toFixed(0)} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${m.rps1.toFixed(0)} | ${(m.p50c1 * 1000).toFixed(0)} | ${added} | ${(m.p99c1 * 1000).toFixed(0)} | ${m.errors} |`,
    );
  }
  const ratio = (a: Target, b: Target) => med[a]!.rps / med[b]!.rps;
  const addedLb = (med.lb!.p50c1 - med.direct!.p50c1) * 1000;
  const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('\n| ratio (throughput) | value | goal |');
  console.log('|---|---:|---|');
  console.log(`| lb / nginx | ${ratio('lb', 'nginx').toFixed(2)} | >= 0.9: ${goal(ratio('lb', 'nginx') >= 0.9)} |`);
  console.log(
    `| lb / haproxy | ${ratio('lb', 'haproxy').toFixed(2)} | >= 0.8: ${goal(ratio('lb', 'haproxy') >= 0.8)} |`,
  );
  console.log(`| lb / direct | ${ratio('lb', 'direct').toFixed(2)} | >= 0.6: ${goal(ratio('lb', 'direct') >= 0.6)} |`);
  console.log(`| lb / node-min | ${ratio('lb', 'node-min').toFixed(2)} | |`);
  console.log(`| node-min / direct | ${ratio('node-min', 'direct').toFixed(2)} | |`);
  console.log(`| nginx / direct | ${ratio('nginx', 'direct').toFixed(2)} | |`);
  console.log(`| haproxy / direct | ${ratio('haproxy', 'direct').toFixed(2)} | |`);
  if (LB_BEFORE !== '') {
    const addedBefore = (med['lb-before']!.p50c1 - med.direct!.p50c1) * 1000;
    console.log(`| lb-before / nginx | ${ratio('lb-before', 'nginx').toFixed(2)} | |`);
    console.log(`| lb-before / haproxy | ${ratio('lb-before', 'haproxy').toFixed(2)} | |`);
    console.log(`| lb-before / direct | ${ratio('lb-before', 'direct').toFixed(2)} | |`);
    console.log(`| lb / lb-before | ${ratio('lb', 'lb-before').toFixed(2)} | |`);
    console.log(`| lb-before added p50 at c=1 | ${addedBefore.toFixed(0)} us | |`);
  }
  console.log(`| lb added p50 at c=1 | ${addedLb.toFixed(0)} us | <= 150 us: ${goal(addedLb <= 150)} |`);

  if (LB_PROF) {
    lb.kill('SIGTERM');
    await new Promise((r) => lb.once('exit', r));
    console.log(`\nlb CPU profile in ${dir}/prof`);
  }
}

try {
  await main();
} finally {
  stopAll();
  if (!LB_PROF) rmSync(dir, { recursive: true, force: true });
}
