// Experiment 3: p50/p99 per lb strategy when one of three upstreams is slow.
// Three stub upstreams (stub-upstream.ts, one process); latency-proxy.ts adds DELAY_MS to every
// request reaching the third one. The lb (services/lb/dist/main.js, TRUSTED_HOPS=1, checks and
// outlier detection on their defaults, slow start off) balances over the three; between runs the
// strategy is switched with PUT /admin/lb/strategy. Load: REQUESTS GETs per strategy, CONCURRENCY
// in flight over keep-alive sockets, each from one of 1000 client addresses (X-Forwarded-For, the hash key).
// Build first (`npx tsc -b`). Usage: node bench/lb/slow-node.ts   (env DELAY_MS=20 REQUESTS=20000 CONCURRENCY=32)
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { median, ready, root, start, startScript, stopAll } from './proc.ts';

const DELAY_MS = Number(process.env.DELAY_MS ?? 20);
const REQUESTS = Number(process.env.REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const CLIENTS = 1000;
const STRATEGIES = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'least-request',
  'random',
  'ip-hash',
  'ring-hash',
  'bounded-load',
  'rendezvous',
  'maglev',
];

const [UP1, UP2, UP3, SLOW, LB, ADMIN] = [18300, 18301, 18302, 18303, 18304, 18305] as const;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Sample {
  ms: number;
  upstream: string;
  status: number;
}

function get(i: number): Promise<Sample> {
  const started = performance.now();
  const xff = `10.0.${(i % CLIENTS) >> 8}.${(i % CLIENTS) & 255}`;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: LB, path: '/v1/whoami', agent, headers: { 'x-forwarded-for': xff } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            ms: performance.now() - started,
            upstream: String(res.headers['x-upstream']),
            status: res.statusCode ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function load(n: number): Promise<Sample[]> {
  const out: Sample[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out.push(await get(i * 7919));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

async function setStrategy(strategy: string): Promise<void> {
  const body = JSON.stringify({ strategy, hashKey: 'client' });
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ADMIN,
        path: '/admin/lb/strategy',
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`PUT strategy ${strategy}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  startScript('stub-upstream', [String(UP1), String(UP2), String(UP3)]);
  startScript('latency-proxy', [String(SLOW), String(UP3), String(DELAY_MS)]);
  await ready(`http://127.0.0.1:${UP1}/healthz`);
  await ready(`http://127.0.0.1:${SLOW}/healthz`);
  start(process.execPath, [join(root, 'services/lb/dist/main.js')], {
    HOST: '127.0.0.1',
    PORT: String(ADMIN),
    PROXY_PORT: String(LB),
    ETCD_ENDPOINTS: '',
    STATIC_UPSTREAMS: `fast-1=http://127.0.0.1:${UP1},fast-2=http://127.0.0.1:${UP2},slow-3=http://127.0.0.1:${SLOW}`,
    TRUSTED_HOPS: '1',
    SLOW_START_MS: '0',
    LOG_LEVEL: 'warn',
  });
  await ready(`http://127.0.0.1:${ADMIN}/healthz`);
  await ready(`http://127.0.0.1:${LB}/lb/healthz`);
  await load(2000); // warm-up

  const baseline = median((await load(2000)).map((s) => s.ms));
  console.log(
    `\np50/p99 per strategy, one of three upstreams slowed by ${DELAY_MS} ms per request (latency-proxy.ts), ${REQUESTS} GETs per strategy at concurrency ${CONCURRENCY}, ${CLIENTS} client addresses (hash key: client via X-Forwarded-For)\n`,
  );
  console.log('| strategy             | p50 ms | p90 ms | p99 ms | max ms | share to slow host | errors |');
  console.log('|----------------------|-------:|-------:|-------:|-------:|----:|---:|');
  for (const strategy of STRATEGIES) {
    await setStrategy(strategy);
    const samples = await load(REQUESTS);
    const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
    const slow = samples.filter((s) => s.upstream === 'slow-3').length / samples.length;
    const errors = samples.filter((s) => s.status !== 200).length;
    console.log(
      `| ${strategy.padEnd(20)} | ${pct(ms, 50).toFixed(2)} | ${pct(ms, 90).toFixed(2)} | ${pct(ms, 99).toFixed(2)} | ${ms.at(-1)!.toFixed(2)} | ${(slow * 100).toFixed(1)}% | ${errors} |`,
    );
  }
  console.log(`\n(warm-up median before the runs, round-robin: ${baseline.toFixed(2)} ms)`);
}

try {
  await main();
} finally {
  agent.destroy();
  stopAll();
}
