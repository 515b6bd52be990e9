import { startAll, startPostgres, startRedis, type Started } from '@sdl/testing';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Two real Postgres shards and a real Redis, with direct clients for a test's own assertions. */
export interface ShardedStack {
  readonly pg0: Started;
  readonly pg1: Started;
  readonly redisServer: Started;
  /** Direct pools, one per shard (index = shard), outside the app under test. */
  readonly db: readonly pg.Pool[];
  /** A direct Redis client, outside the app under test. */
  readonly redis: Redis;
  /** SHARD_PRIMARIES and REDIS_CACHE_URL for the app under test. */
  readonly env: Readonly<Record<string, string>>;
  /** Closes the clients and stops every container (ones a test already stopped included). */
  stop(): Promise<void>;
}

export async function startShardedStack(): Promise<ShardedStack> {
  const [pg0, pg1, redisServer] = await startAll(startPostgres, startPostgres, startRedis);
  const db = [pg0, pg1].map((s) => {
    const pool = new pg.Pool({ connectionString: s.url, max: 2 });
    // Tests stop shards on purpose: an idle client's error must not crash the run.
    pool.on('error', () => undefined);
    return pool;
  });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  return {
    pg0,
    pg1,
    redisServer,
    db,
    redis,
    env: { SHARD_PRIMARIES: `${pg0.url},${pg1.url}`, REDIS_CACHE_URL: redisServer.url },
    async stop() {
      redis.disconnect();
      await Promise.all(db.map((pool) => pool.end()));
      await Promise.all([pg0, pg1, redisServer].map((s) => s.stop().catch(() => undefined)));
    },
  };
}
