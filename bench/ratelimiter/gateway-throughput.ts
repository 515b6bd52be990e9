// Gateway throughput with rate limiting on vs off, measured in one run (interleaved rounds).
// Spawns a stub upstream, the ratelimiter and three gateways from their built dist/ entry points,
// all on 127.0.0.1 (Redis as in shared.ts): limiting off, on with the local stage leasing batches
// (the default), and on with every request checked globally (RATELIMIT_LOCAL_ENABLED=false).
// Redis calls per mode are Redis's own EVALSHA count (INFO commandstats) over that mode's rounds.
// Usage: node bench/ratelimiter/gateway-throughput.ts   (env SECONDS=5 CONCURRENCY=32 ROUNDS=3)
import { spawn, type ChildProcess } from 'node:child_process';
import { startBench } from './shared.ts';

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const root = new URL('../../', import.meta.url);
const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>): void {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
}

async function ready(url: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

async function load(base: string): Promise<{ rps: number; non200: number }> {
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  let non200 = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const res = await fetch(`${base}/v1/posts`, { headers: { 'x-api-key': 'lab-demo-key' } });
        await res.arrayBuffer();
        if (res.status !== 200) non200 += 1;
        done += 1;
      }
    }),
  );
  return { rps: done / SECONDS, non200 };
}

async function evalshaCalls(redis: Awaited<ReturnType<typeof startBench>>['redis']): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

const bench = await startBench();
try {
  const stub =
    "require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.setHeader('content-type','application/json');s.end('{\"ok\":true}')})}).listen(3911,'127.0.0.1')";
  start(['-e', stub], {});
  start(['services/ratelimiter/dist/main.js'], {
    PORT: '3912',
    HOST: '127.0.0.1',
    REDIS_URL: bench.url,
    LIMITS: JSON.stringify({ default: { limit: 1_000_000_000, windowMs: 1000 }, clients: {} }),
  });
  const gw = { LB_URL: 'http://127.0.0.1:3911', RATELIMITER_URL: 'http://127.0.0.1:3912', HOST: '127.0.0.1' };
  start(['services/gateway/dist/main.js'], { ...gw, PORT: '3913' });
  start(['services/gateway/dist/main.js'], { ...gw, PORT: '3914', RATELIMIT_ENABLED: 'false' });
  start(['services/gateway/dist/main.js'], { ...gw, PORT: '3915', RATELIMIT_LOCAL_ENABLED: 'false' });
  const modes = [
    { name: 'off', url: 'http://127.0.0.1:3914' },
    { name: 'on (local leases)', url: 'http://127.0.0.1:3913' },
    { name: 'on (every request global)', url: 'http://127.0.0.1:3915' },
  ];
  await Promise.all(['http://127.0.0.1:3912/readyz', ...modes.map((m) => `${m.url}/readyz`)].map(ready));
  const rps = modes.map((): number[] => []);
  const requests = modes.map(() => 0);
  const calls = modes.map(() => 0);
  for (const m of modes) await load(m.url); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    const line: string[] = [];
    // Rotated each round, so a machine whose load drifts does not favour one mode.
    const order = modes.map((_, k) => (k + round) % modes.length);
    for (const i of order) {
      const m = modes[i]!;
      const before = await evalshaCalls(bench.redis);
      const r = await load(m.url);
      calls[i]! += (await evalshaCalls(bench.redis)) - before;
      requests[i]! += r.rps * SECONDS;
      rps[i]!.push(r.rps);
      if (r.non200 > 0) console.log(`round ${round}: ${m.name}: ${r.non200} non-200 answers`);
      line.push(`${m.name} ${r.rps.toFixed(0)} rps`);
    }
    console.log(`round ${round}: ${line.join(', ')}`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const off = median(rps[0]!);
  console.log(`\nGateway /v1/posts, ${CONCURRENCY} concurrent, ${SECONDS} s x ${ROUNDS} rounds (median):`);
  for (const [i, m] of modes.entries()) {
    const perRequest = calls[i]! / Math.max(1, requests[i]!);
    console.log(
      `${m.name.padEnd(27)} ${median(rps[i]!).toFixed(0).padStart(6)} rps  x off ${(median(rps[i]!) / off).toFixed(2)}  ` +
        `Redis EVALSHA ${calls[i]} for ${requests[i]!.toFixed(0)} requests (${perRequest.toFixed(4)} per request)`,
    );
  }
  // Each round's modes ran back to back: the median of per-round ratios resists load drift best.
  const ratio = (i: number) => median(rps[i]!.map((x, r) => x / rps[0]![r]!)).toFixed(2);
  console.log(
    `median of per-round ratios: on (local leases) / off ${ratio(1)}, on (every request global) / off ${ratio(2)}`,
  );
  const saved = requests[1]! - calls[1]!;
  console.log(
    `local stage: ${saved.toFixed(0)} of ${requests[1]!.toFixed(0)} Redis calls saved (${((100 * saved) / Math.max(1, requests[1]!)).toFixed(2)} %)`,
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  await bench.close();
}
