// Issue 14: cache eviction policies. The same seeded Zipf key streams (s = 0.8 and 1.0, KEYS keys,
// REQUESTS requests each) replayed against the api's L1 (services/api/dist/cache/l1-cache.js) under
// each CACHE_L1_POLICY at 1, 5, 10 and 25 % of the keys, and against a real Redis with
// maxmemory-policy allkeys-lru, allkeys-lfu and allkeys-random whose maxmemory holds about as many
// entries (per-entry bytes calibrated first; the entries it actually held are printed). A request
// is a lookup and, on a miss, a fill; the first WARMUP requests fill the caches and are not
// counted. Prints markdown tables and writes docs/eviction-hit-ratio.svg.
// Build first (`npx tsc -b`). Usage: node bench/cache/eviction.ts
//   (env KEYS=20000 REQUESTS=200000 WARMUP=40000 SEED=14 VALUE_BYTES=1000 REDIS=local|container)
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../libs/logging/dist/index.js';
import { createRedisClient } from '../../libs/redis/dist/index.js';
import { startRedis } from '../../libs/testing/dist/index.js';
import { createL1Cache } from '../../services/api/dist/cache/l1-cache.js';
import { REPLACEMENT_POLICIES } from '../../services/api/dist/cache/eviction/policy.js';
import { root } from '../lb/proc.ts';
import { onCleanup, runBench, startLocalRedis, table } from '../api/stack.ts';
import { hitRatioSvg, type Series } from './eviction-plot.ts';
import { seededRandom, topMass, zipfStream } from './zipf.ts';

const KEYS = Number(process.env.KEYS ?? 20_000);
const REQUESTS = Number(process.env.REQUESTS ?? 200_000);
const WARMUP = Number(process.env.WARMUP ?? REQUESTS / 5);
const SEED = Number(process.env.SEED ?? 14);
const VALUE_BYTES = Number(process.env.VALUE_BYTES ?? 1000);
const SKEWS = [0.8, 1.0];
const SIZES = [1, 5, 10, 25];
const REDIS_POLICIES = ['allkeys-lru', 'allkeys-lfu', 'allkeys-random'] as const;
const BATCH = 200;

const keyOf = (rank: number) => `k:${rank}`;
const keys = Array.from({ length: KEYS }, (_, i) => keyOf(i));
const entriesFor = (pct: number) => Math.round((KEYS * pct) / 100);

/** Hit ratio of the L1 under `policy` with `entries` slots (no expiry: the TTL is not under test). */
function replayL1(stream: Uint32Array, policy: (typeof REPLACEMENT_POLICIES)[number], entries: number): number {
  const l1 = createL1Cache<true>({
    maxEntries: entries,
    ttlMs: Number.MAX_SAFE_INTEGER,
    policy,
    now: () => 0,
    random: seededRandom(SEED + 1),
  });
  let hits = 0;
  for (let i = 0; i < stream.length; i += 1) {
    const key = keys[stream[i]!]!;
    if (l1.get(key) === undefined) l1.set(key, true);
    else if (i >= WARMUP) hits += 1;
  }
  return hits / (stream.length - WARMUP);
}

// GET, and on a miss SET a VALUE_BYTES value made in Redis (so the client sends only the key):
// 1 = hit. allow-oom: the write may take memory past maxmemory; Redis evicts before the next command.
const LOOKUP = `#!lua flags=allow-oom
if redis.call('GET', KEYS[1]) then return 1 end
redis.call('SET', KEYS[1], string.rep('x', tonumber(ARGV[1])))
return 0`;

type Client = ReturnType<typeof createRedisClient> & {
  lookup(key: string, valueBytes: number): Promise<number>;
};

async function usedMemory(redis: Client): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function replay(redis: Client, stream: Uint32Array, from: number, to: number): Promise<number> {
  let hits = 0;
  for (let i = from; i < to; i += BATCH) {
    const pipeline = redis.pipeline();
    // EVALSHA (defineCommand): ~70 bytes a request, so the query buffer stays small next to maxmemory.
    for (let j = i; j < Math.min(to, i + BATCH); j += 1) {
      (pipeline as unknown as Client).lookup(keys[stream[j]!]!, VALUE_BYTES);
    }
    for (const [err, hit] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      hits += Number(hit);
    }
  }
  return hits;
}

/** Bytes one entry adds to used_memory, from (up to) 4 000 entries stored into an empty, unlimited Redis. */
async function bytesPerEntry(redis: Client): Promise<number> {
  await redis.config('SET', 'maxmemory', '0');
  await redis.flushall();
  const before = await usedMemory(redis);
  const calibration = Uint32Array.from({ length: Math.min(4000, KEYS) }, (_, i) => i);
  await replay(redis, calibration, 0, calibration.length);
  const per = ((await usedMemory(redis)) - before) / calibration.length;
  await redis.flushall();
  return per;
}

async function replayRedis(
  redis: Client,
  stream: Uint32Array,
  policy: string,
  entries: number,
  perEntry: number,
): Promise<{ ratio: number; held: number }> {
  await redis.config('SET', 'maxmemory', '0');
  await redis.flushall();
  await redis.config('SET', 'maxmemory-policy', policy);
  await redis.config('SET', 'maxmemory', String(Math.round((await usedMemory(redis)) + entries * perEntry)));
  await replay(redis, stream, 0, WARMUP);
  const hits = await replay(redis, stream, WARMUP, stream.length);
  return { ratio: hits / (stream.length - WARMUP), held: await redis.dbsize() };
}

async function startTheRedis(): Promise<string> {
  if (process.env.REDIS !== 'container') return startLocalRedis();
  const started = await startRedis();
  onCleanup(() => started.stop());
  return started.url;
}

await runBench('eviction', 240, async () => {
  const ratios = new Map<string, Map<string, number>>(); // row -> "s|pct" -> hit ratio
  const held = new Map<string, number>(); // "policy|s|pct" -> entries Redis held
  const put = (row: string, s: number, pct: number, ratio: number) =>
    (ratios.get(row) ?? ratios.set(row, new Map()).get(row)!).set(`${s}|${pct}`, ratio);
  const started = performance.now();
  const streams = new Map(SKEWS.map((s) => [s, zipfStream(KEYS, s, REQUESTS, SEED)]));

  for (const [s, stream] of streams) {
    for (const pct of SIZES) {
      put('ideal (top keys pinned)', s, pct, topMass(KEYS, s, entriesFor(pct)));
      for (const policy of REPLACEMENT_POLICIES) put(`L1 ${policy}`, s, pct, replayL1(stream, policy, entriesFor(pct)));
    }
  }

  const l1Seconds = (performance.now() - started) / 1000;
  const redis = createRedisClient({
    url: await startTheRedis(),
    timeoutMs: 30_000,
    logger: createLogger({ name: 'bench', level: 'warn' }),
    name: 'bench',
  }) as Client;
  redis.defineCommand('lookup', { numberOfKeys: 1, lua: LOOKUP });
  let perEntry = 0;
  try {
    if (redis.status !== 'ready') await once(redis, 'ready');
    perEntry = await bytesPerEntry(redis);
    for (const [s, stream] of streams) {
      for (const pct of SIZES) {
        for (const policy of REDIS_POLICIES) {
          const runStarted = performance.now();
          const r = await replayRedis(redis, stream, policy, entriesFor(pct), perEntry);
          const runSeconds = ((performance.now() - runStarted) / 1000).toFixed(1);
          console.error(`  ${policy} s=${s} ${pct}%: ${r.ratio.toFixed(3)}, ${r.held} held, ${runSeconds} s`);
          put(`Redis ${policy}`, s, pct, r.ratio);
          held.set(`${policy}|${s}|${pct}`, r.held);
        }
      }
    }
  } finally {
    redis.disconnect();
  }
  const redisSeconds = (performance.now() - started) / 1000 - l1Seconds;

  const columns = SKEWS.flatMap((s) => SIZES.map((pct) => [s, pct] as const));
  console.log(
    `\nhit ratio after ${WARMUP} warm-up requests, ${REQUESTS - WARMUP} counted, ${KEYS} keys, seed ${SEED} (L1: ${REPLACEMENT_POLICIES.length} policies in process; Redis: ${VALUE_BYTES}-byte values, ${perEntry.toFixed(0)} bytes per entry calibrated; L1 runs ${l1Seconds.toFixed(0)} s, Redis runs ${redisSeconds.toFixed(0)} s)\n`,
  );
  console.log(
    table(
      ['policy', ...columns.map(([s, pct]) => `s=${s} ${pct}% (${entriesFor(pct)})`)],
      [...ratios].map(([row, byCol]) => [row, ...columns.map(([s, pct]) => byCol.get(`${s}|${pct}`)!.toFixed(3))]),
    ),
  );
  console.log('\nentries Redis held at the end (target in the header)\n');
  console.log(
    table(
      ['policy', ...columns.map(([s, pct]) => `s=${s} ${pct}% (${entriesFor(pct)})`)],
      REDIS_POLICIES.map((p) => [p, ...columns.map(([s, pct]) => held.get(`${p}|${s}|${pct}`)!)]),
    ),
  );

  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#e377c2'];
  const series: Series[] = [...ratios].map(([row, byCol], i) => ({
    name: row,
    color: row.startsWith('ideal') ? '#000' : colors[i % colors.length]!,
    dashed: !row.startsWith('L1'),
    points: new Map(SKEWS.map((s) => [s, SIZES.map((pct) => [pct, byCol.get(`${s}|${pct}`)!] as const)])),
  }));
  const svg = hitRatioSvg(
    `Hit ratio vs cache size, Zipf key stream (${KEYS} keys, ${REQUESTS} requests, seed ${SEED})`,
    SKEWS,
    SIZES,
    series,
  );
  const out = join(root, 'docs', 'eviction-hit-ratio.svg');
  writeFileSync(out, svg);
  console.log(`\nwrote ${out}`);
});
