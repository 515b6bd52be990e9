import { createLogger } from '@sdl/logging';
import { startAll, startRedis, type RedisPersistence, type StartedRedis } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeRedis, createRedisClient, readPersistenceMode, type Redis } from '../src/index.js';

const logger = createLogger({ name: 'persistence-test', level: 'silent' });

/** Keys written one at a time, each acknowledged before the next (k:0, k:1, ...). */
const BEFORE_SNAPSHOT = 200;
const AFTER_SNAPSHOT = 300;

async function connect(server: StartedRedis): Promise<Redis> {
  const redis = createRedisClient({
    url: server.url,
    timeoutMs: 5000,
    logger,
    name: 'persistence-test',
    lazyConnect: true,
  });
  await redis.connect();
  return redis;
}

/** Writes k:from..k:to-1 in order, each SET awaited: every key counted is acknowledged. */
async function writeKeys(redis: Redis, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    if ((await redis.set(`k:${i}`, String(i))) !== 'OK') throw new Error(`SET k:${i} not acknowledged`);
  }
}

/** How many of k:0..k:count-1 a server holds, and whether they are a prefix (the log or snapshot cut once). */
async function survivors(redis: Redis, count: number): Promise<{ kept: number; prefix: boolean }> {
  const values = await redis.mget(Array.from({ length: count }, (_, i) => `k:${i}`));
  const kept = values.filter((v) => v !== null).length;
  return { kept, prefix: values.every((v, i) => (v !== null) === i < kept) };
}

/** Waits for a snapshot that holds every write so far (the save has run and nothing changed since). */
async function awaitSnapshot(redis: Redis): Promise<void> {
  await vi.waitFor(
    async () => {
      const info = await redis.info('persistence');
      expect(info).toMatch(/^rdb_changes_since_last_save:0\r?$/m);
      expect(info).toMatch(/^rdb_bgsave_in_progress:0\r?$/m);
      expect(info).toMatch(/^rdb_last_bgsave_status:ok\r?$/m);
    },
    { timeout: 30_000, interval: 200 },
  );
}

// Each mode against a real Redis started by compose's own infra/redis/persistence.sh: acknowledged
// writes, then `docker kill` (SIGKILL: no shutdown save) and a start on the same /data.
// A process crash leaves the kernel's page cache intact, so aof-everysec usually keeps every write
// here too; the second it may lose is a machine crash's (bench/redis/persistence.ts measures both modes).
// The four modes run side by side (each its own container) to keep the file short.
describe('Redis persistence modes, crashed by SIGKILL and restarted', () => {
  const modes: RedisPersistence[] = ['none', 'rdb', 'aof-everysec', 'aof-always'];
  let servers: StartedRedis[] = [];
  const clients: Redis[] = [];
  // Started before the tests (a hook's time limit, not a test's: four containers on two cores).
  beforeAll(async () => {
    servers = await startAll(...modes.map((persistence) => () => startRedis({ persistence })));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => closeRedis(c)));
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  });

  it.concurrent.each(modes)(
    '%s keeps what it promises of the acknowledged writes',
    async (mode) => {
      const server = servers[modes.indexOf(mode)]!;
      const before = await connect(server);
      clients.push(before);
      expect(await readPersistenceMode(before)).toBe(mode);

      await writeKeys(before, 0, BEFORE_SNAPSHOT);
      if (mode === 'rdb') await awaitSnapshot(before);
      await writeKeys(before, BEFORE_SNAPSHOT, BEFORE_SNAPSHOT + AFTER_SNAPSHOT);
      const acked = BEFORE_SNAPSHOT + AFTER_SNAPSHOT;

      await server.crashRestart();
      const after = await connect(server);
      clients.push(after);
      expect(await readPersistenceMode(after)).toBe(mode);
      const { kept, prefix } = await survivors(after, acked);
      // Lost writes are always the newest ones: the log or the snapshot was cut at one point.
      expect(prefix).toBe(true);
      if (mode === 'none') expect(kept).toBe(0);
      if (mode === 'rdb') expect(kept).toBeGreaterThanOrEqual(BEFORE_SNAPSHOT);
      if (mode === 'aof-always') expect(kept).toBe(acked);
    },
    120_000,
  );
});
