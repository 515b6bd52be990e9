// ioredis auto-pipelining (issue 12): what batching the commands of one event-loop turn into one
// write buys a request-path client when many commands fly at once. One sdl/redis:7 container
// (@sdl/testing startRedis, as compose runs it), one @sdl/redis client per mode; per round and mode
// (order alternating), N GETs of KEYS preloaded keys with CONCURRENCY in flight (each a separate
// await, as concurrent requests issue them), then the same at concurrency 1. Reports ops/s and the
// client's CPU ms per 1,000 commands (process.cpuUsage), medians over ROUNDS, and the ratios.
// Build first (`npx tsc -b`). Usage: node bench/redis/auto-pipelining.ts (env N=50000 CONCURRENCY=64 ROUNDS=5 KEYS=1000)
import { closeRedis, createRedisClient, type Redis } from '../../libs/redis/dist/index.js';
import { createLogger } from '../../libs/logging/dist/index.js';
import { startRedis } from '../../libs/testing/dist/index.js';
import { median, onCleanup, runBench } from '../api/stack.ts';

const N = Number(process.env.N ?? 50_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const KEYS = Number(process.env.KEYS ?? 1000);
const logger = createLogger({ name: 'bench-redis', level: 'silent' });
const MODES = ['off', 'on'] as const;
type Mode = (typeof MODES)[number];

interface Run {
  opsPerS: number;
  cpuMsPer1000: number;
}

async function drive(redis: Redis, n: number, concurrency: number): Promise<Run> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const value = await redis.get(`bench:${i % KEYS}`);
      if (value === null) throw new Error(`bench:${i % KEYS} missing`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { opsPerS: n / seconds, cpuMsPer1000: (used.user + used.system) / 1000 / (n / 1000) };
}

await runBench('redis-auto-pipelining', 300, async () => {
  const server = await startRedis();
  onCleanup(() => server.stop());
  const clients = {} as Record<Mode, Redis>;
  for (const mode of MODES) {
    const redis = createRedisClient({
      url: server.url,
      timeoutMs: 5000,
      logger,
      name: `bench-${mode}`,
      lazyConnect: true,
      autoPipelining: mode === 'on',
    });
    await redis.connect();
    onCleanup(() => closeRedis(redis));
    clients[mode] = redis;
  }
  const payload = JSON.stringify({ id: 'acc_bench', name: 'bench', balance: 0, plan: 'pro' });
  for (let i = 0; i < KEYS; i += 100) {
    const pipe = clients.off.pipeline();
    for (let k = i; k < Math.min(KEYS, i + 100); k++) pipe.set(`bench:${k}`, payload);
    await pipe.exec();
  }
  // Warm-up: JIT and sockets.
  for (const mode of MODES) await drive(clients[mode], 5000, CONCURRENCY);

  const runs = { off: { hi: [] as Run[], one: [] as Run[] }, on: { hi: [] as Run[], one: [] as Run[] } };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
      const hi = await drive(clients[mode], N, CONCURRENCY);
      const one = await drive(clients[mode], Math.floor(N / 10), 1);
      runs[mode].hi.push(hi);
      runs[mode].one.push(one);
      console.log(
        `round ${r + 1} auto-pipelining ${mode.padEnd(3)}: c=${CONCURRENCY} ${hi.opsPerS.toFixed(0)} ops/s, ${hi.cpuMsPer1000.toFixed(1)} CPU ms/1000 | c=1 ${one.opsPerS.toFixed(0)} ops/s`,
      );
    }
  }
  const med = (mode: Mode, k: 'hi' | 'one', f: keyof Run) => median(runs[mode][k].map((x) => x[f]));
  console.log(`\nGET, ${N} per run at c=${CONCURRENCY} (${N / 10} at c=1), ${ROUNDS} rounds, medians\n`);
  console.log(`| auto-pipelining | ops/s c=${CONCURRENCY} | client CPU ms per 1,000 | ops/s c=1 |`);
  console.log('|---|---:|---:|---:|');
  for (const mode of MODES) {
    console.log(
      `| ${mode} | ${med(mode, 'hi', 'opsPerS').toFixed(0)} | ${med(mode, 'hi', 'cpuMsPer1000').toFixed(1)} | ${med(mode, 'one', 'opsPerS').toFixed(0)} |`,
    );
  }
  const ratio = (k: 'hi' | 'one', f: keyof Run) => med('on', k, f) / med('off', k, f);
  console.log(
    `\non/off: throughput c=${CONCURRENCY} ${ratio('hi', 'opsPerS').toFixed(2)}x, CPU per command ${ratio('hi', 'cpuMsPer1000').toFixed(2)}x, throughput c=1 ${ratio('one', 'opsPerS').toFixed(2)}x`,
  );
});
