// Benchmark (issue 8): how fast the degraded paths answer, measured here instead of asserted in the
// component and e2e tests (each test still checks that the answer comes, and what it is). Every
// group prints the degraded answer against the healthy one measured in the same run:
// - Redis client (@sdl/redis, 100 ms command bound): a GET with nothing listening vs a GET;
// - ratelimiter (REDIS_TIMEOUT_MS 500): a check while its Redis is paused (fail-mode answer) vs a check;
// - Redlock (@sdl/lock, 300 ms per instance, 30 s client timeouts): acquire with one of three
//   instances paused vs acquire; with two of three stopped, the time to LOCK_ERR_NOT_ACQUIRED
//   (3 attempts, 500 ms per instance, 50 + 0..50 ms between attempts);
// - api node, in-process (two Postgres shards, no cache): a read on a stopped shard (503) vs a read;
//   a read when both pooled connections wait on a lock (PG_POOL_MAX 2, connect timeout 300 ms: 503);
//   with the cache Redis (REDIS_TIMEOUT_MS 100): a cache hit vs a read while that Redis is paused.
// Containers: sdl/redis:7 and sdl/postgres:15 (testcontainers), stopped at the end.
// Build first (`npx tsc -b`). Usage: node bench/degraded/fail-fast.ts   (env N=20 MAX_SECONDS=600)
import { execFileSync, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createRedlock } from '../../libs/lock/dist/index.js';
import { createLogger } from '../../libs/logging/dist/index.js';
import { closeRedis, createRedisClient } from '../../libs/redis/dist/index.js';
import { closedPort, createTestAppBuilder, startPostgres, startRedis } from '../../libs/testing/dist/index.js';
import { buildApp as buildApi } from '../../services/api/dist/app.js';
import { ApiConfigSchema, checkApiConfig } from '../../services/api/dist/config.js';
import { buildApp as buildLimiter } from '../../services/ratelimiter/dist/app.js';
import { RateLimiterConfigSchema } from '../../services/ratelimiter/dist/config.js';
import { onCleanup, percentile, psql, runBench, table } from '../api/stack.ts';

const N = Math.min(200, Number(process.env.N ?? 20));
const logger = createLogger({ name: 'bench', level: 'silent' });
const rows: (string | number)[][] = [];
const docker = (...args: string[]) => execFileSync('docker', args, { stdio: 'ignore' });

/** Runs `fn` n times one after the other; the milliseconds each took. */
async function times(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return out;
}

/** One row: the degraded path's p50 and max, against the healthy path's p50 from the same run. */
function record(what: string, degraded: readonly number[], healthy: readonly number[]): void {
  const p50 = (ms: readonly number[]) =>
    percentile(
      [...ms].sort((a, b) => a - b),
      50,
    );
  rows.push([
    what,
    degraded.length,
    p50(degraded).toFixed(1),
    Math.max(...degraded).toFixed(1),
    p50(healthy).toFixed(2),
    (p50(degraded) / p50(healthy)).toFixed(0),
  ]);
}

async function redisClient(): Promise<void> {
  const redis = await startRedis();
  onCleanup(() => redis.stop());
  const up = createRedisClient({ url: redis.url, timeoutMs: 100, logger, name: 'bench-up', lazyConnect: true });
  await up.connect();
  const dead = createRedisClient({ url: `redis://127.0.0.1:${await closedPort()}`, timeoutMs: 100, logger, name: 'x' });
  const healthy = await times(N, () => up.get('k'));
  const failing = await times(N, () => dead.get('k').catch(() => undefined));
  record('Redis client GET, nothing listening (rejects)', failing, healthy);
  await Promise.all([closeRedis(up), closeRedis(dead)]);
}

async function rateLimiter(): Promise<void> {
  const redis = await startRedis();
  onCleanup(() => redis.stop());
  const build = createTestAppBuilder({ name: 'ratelimiter', schema: RateLimiterConfigSchema, build: buildLimiter });
  const limiter = await build({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '500' });
  onCleanup(() => limiter.app.close());
  await limiter.untilReady();
  const check = (client: string) =>
    limiter.app.inject({ method: 'POST', url: '/v1/check', payload: { descriptors: { client } } });
  const healthy = await times(N, (i) => check(`c${i}`));
  docker('pause', redis.container.getId());
  try {
    const paused = await times(Math.min(N, 10), (i) => check(`p${i}`));
    record('ratelimiter check, Redis paused (fail-mode answer)', paused, healthy);
  } finally {
    docker('unpause', redis.container.getId());
  }
}

async function redlock(): Promise<void> {
  const servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
  for (const s of servers) onCleanup(() => s.stop());
  const clients = await Promise.all(
    servers.map(async (s, i) => {
      const c = createRedisClient({ url: s.url, timeoutMs: 30_000, logger, name: `lock-${i}`, lazyConnect: true });
      await c.connect();
      onCleanup(() => closeRedis(c));
      return c;
    }),
  );
  const lock = createRedlock({ clients, instanceTimeoutMs: 300, logger });
  const healthy = await times(N, async (i) => lock.release(await lock.acquire(`h${i}`, 10_000, { retryCount: 0 })));
  docker('pause', servers[2]!.container.getId());
  try {
    const paused = await times(Math.min(N, 10), async (i) =>
      lock.release(await lock.acquire(`p${i}`, 10_000, { retryCount: 0 })),
    );
    record('Redlock acquire + release, 1 of 3 paused', paused, healthy);
  } finally {
    docker('unpause', servers[2]!.container.getId());
  }
  await Promise.all([servers[1]!.stop(), servers[2]!.stop()]);
  const strict = createRedlock({ clients, instanceTimeoutMs: 500, retryDelayMs: 50, retryJitterMs: 50, logger });
  const refused = await times(Math.min(N, 5), (i) =>
    strict.acquire(`d${i}`, 10_000, { retryCount: 2 }).then(
      () => Promise.reject(new Error('acquired with two of three stopped')),
      () => undefined,
    ),
  );
  record('Redlock acquire, 2 of 3 stopped (-> NOT_ACQUIRED, 3 attempts)', refused, healthy);
}

/** A psql session holding `LOCK TABLE accounts` until `release()` (stdin stays open meanwhile). */
function holdTableLock(url: string): { release(): Promise<void> } {
  const child = spawn('psql', [url, '-AtXq'], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.write('BEGIN;\nLOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;\n');
  return {
    release: async () => {
      child.stdin.end('ROLLBACK;\n');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function api(): Promise<void> {
  const [pg0, pg1, cache] = await Promise.all([startPostgres(), startPostgres(), startRedis()]);
  for (const s of [pg0, pg1, cache]) onCleanup(() => s.stop());
  const build = createTestAppBuilder({
    name: 'api',
    schema: ApiConfigSchema,
    check: checkApiConfig,
    build: buildApi,
    env: { NODE_ID: 'bench' },
  });
  const node = await build({ SHARD_PRIMARIES: `${pg0.url},${pg1.url}`, PG_CONNECT_TIMEOUT_MS: '500' });
  onCleanup(() => node.app.close());
  await node.untilReady({ timeoutMs: 60_000 });
  const create = async (i: number) =>
    node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { email: `b${i}@example.com`, name: 'B' } });
  const byShard = new Map<string, string[]>();
  for (let i = 0; byShard.size < 2 || [...byShard.values()].some((ids) => ids.length < N); i++) {
    const res = await create(i);
    const shard = String(res.headers['x-shard']);
    byShard.set(shard, [...(byShard.get(shard) ?? []), res.json<{ id: string }>().id]);
  }
  const read = (id: string) => node.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  const healthy = await times(N, (i) => read(byShard.get('0')![i]!));
  await pg1.stop();
  const down = await times(N, (i) => read(byShard.get('1')![i]!));
  record('api read, its shard stopped (503)', down, healthy);

  const small = await build({
    SHARD_PRIMARIES: pg0.url,
    PG_POOL_MAX: '2',
    PG_CONNECT_TIMEOUT_MS: '300',
    PG_STATEMENT_TIMEOUT_MS: '30000',
  });
  onCleanup(() => small.app.close());
  await small.untilReady({ timeoutMs: 60_000 });
  const exhausted: number[] = [];
  for (let round = 0; round < Math.min(N, 5); round++) {
    const lock = holdTableLock(pg0.url);
    const held = `SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE 'LOCK TABLE%'`;
    while ((await psql(pg0.url, held)) !== '1') await new Promise((resolve) => setTimeout(resolve, 50));
    const ids = byShard.get('0')!;
    // (inject starts a request only once it is awaited or then'd.)
    const stuck = [0, 1].map((k) => small.app.inject({ method: 'GET', url: `/v1/accounts/${ids[k]}` }).then((r) => r));
    const waiting = `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sdl-api' AND state = 'active' AND wait_event_type = 'Lock'`;
    while ((await psql(pg0.url, waiting)) !== '2') await new Promise((resolve) => setTimeout(resolve, 50));
    const start = performance.now();
    await small.app.inject({ method: 'GET', url: `/v1/accounts/${ids[2 + round]}` });
    exhausted.push(performance.now() - start);
    await lock.release();
    await Promise.all(stuck);
  }
  record('api read, pool exhausted (503 after the 300 ms connect timeout)', exhausted, healthy);

  const cached = await build({ SHARD_PRIMARIES: pg0.url, REDIS_CACHE_URL: cache.url, REDIS_TIMEOUT_MS: '100' });
  onCleanup(() => cached.app.close());
  await cached.untilReady({ timeoutMs: 60_000 });
  const ids = byShard.get('0')!;
  for (const id of ids) await cached.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  const hits = await times(N, (i) => cached.app.inject({ method: 'GET', url: `/v1/accounts/${ids[i]}` }));
  docker('pause', cache.container.getId());
  try {
    const bypass = await times(N, (i) => cached.app.inject({ method: 'GET', url: `/v1/accounts/${ids[i]}` }));
    record('api read, cache Redis paused (x-cache: bypass)', bypass, hits);
  } finally {
    docker('unpause', cache.container.getId());
  }
}

await runBench('degraded paths', 600, async () => {
  for (const group of [redisClient, rateLimiter, redlock, api]) await group();
  console.log(`\nN=${N} per path\n`);
  console.log(table(['degraded path', 'n', 'p50 ms', 'max ms', 'healthy p50 ms', 'ratio'], rows));
});
