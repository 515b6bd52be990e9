// Gateway throughput with rate limiting on vs off, measured in one run (interleaved rounds).
// Spawns a stub upstream, the ratelimiter and two gateways (RATELIMIT_ENABLED true / false) from
// their built dist/ entry points, all on 127.0.0.1; Redis as in shared.ts.
// Usage: node bench/ratelimiter/gateway-throughput.ts   (env SECONDS=5 CONCURRENCY=32 ROUNDS=3)
import { spawn, type ChildProcess } from 'node:child_process';
import { startBench } from './shared.ts';

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const root = new URL('../../', import.meta.url);
const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>): void {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
}

async function ready(url: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
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

const bench = await startBench();
try {
  const stub = "require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.setHeader('content-type','application/json');s.end('{\"ok\":true}')})}).listen(3911,'127.0.0.1')";
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
  await Promise.all(['http://127.0.0.1:3912/readyz', 'http://127.0.0.1:3913/readyz', 'http://127.0.0.1:3914/readyz'].map(ready));
  const on: number[] = [];
  const off: number[] = [];
  await load('http://127.0.0.1:3913'); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    const a = await load('http://127.0.0.1:3914');
    const b = await load('http://127.0.0.1:3913');
    if (a.non200 + b.non200 > 0) console.log(`round ${round}: non-200 answers off=${a.non200} on=${b.non200}`);
    off.push(a.rps);
    on.push(b.rps);
    console.log(`round ${round}: off ${a.rps.toFixed(0)} rps, on ${b.rps.toFixed(0)} rps`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`\nGateway /v1/posts, ${CONCURRENCY} concurrent, ${SECONDS} s x ${ROUNDS} rounds (median):`);
  console.log(`limiting off ${median(off).toFixed(0)} rps, on ${median(on).toFixed(0)} rps, ratio on/off ${(median(on) / median(off)).toFixed(2)}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await bench.close();
}
