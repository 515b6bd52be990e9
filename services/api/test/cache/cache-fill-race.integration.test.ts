import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import { createRedisClient, closeRedis, type Redis } from '@sdl/redis';
import { startRedis, type Started } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCacheMetrics,
  createEntityCache,
  type CacheMode,
  type EntityCache,
} from '../../src/cache/entity-cache.js';

interface Item {
  id: string;
  v: number;
}

const asItem = (value: unknown): Item | undefined =>
  typeof (value as Item)?.v === 'number' ? (value as Item) : undefined;

// The cache-aside race: a fill that read the database before a write must not store its older
// value over the write's. Every write ends the key's fill lease; a fill stores only while it holds
// its lease. Real Redis; the "database read" is a promise the test releases after the write.
describe('a slow cache fill racing a write', () => {
  let server: Started;
  let redis: Redis;
  const logger = createLogger({ name: 'fill-race', level: 'silent' });
  const metrics = createCacheMetrics(createMetrics({ service: 'api', defaults: false }).registry);

  const cacheFor = (mode: CacheMode, entity: string): EntityCache<Item> =>
    createEntityCache<Item>({
      entity,
      mode,
      redis,
      ttlSeconds: 300,
      negativeTtlSeconds: 5,
      fillLeaseMs: 10_000,
      parse: asItem,
      idOf: (item) => item.id,
      logger,
      metrics,
    });

  /** Starts a fill whose database read answers `stale` only once `release` is called. */
  function slowFill(cache: EntityCache<Item>, id: string, stale: Item | undefined) {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reading: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (reading = resolve));
    const filled = cache.fill(id, async () => {
      reading();
      await gate;
      return stale;
    });
    return { started, release, filled };
  }

  beforeAll(async () => {
    server = await startRedis();
    redis = createRedisClient({ url: server.url, timeoutMs: 2000, logger, name: 'fill-race' });
    // No offline queue: wait for the connection before the first command.
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(async () => {
    await closeRedis(redis);
    await server.stop();
  });

  it('keeps a write-through value that a slower fill read before', async () => {
    const cache = cacheFor('write-through', 'wt');
    const fill = slowFill(cache, 'a', { id: 'a', v: 1 });
    await fill.started;
    await cache.afterWrite({ id: 'a', v: 2 });
    fill.release();
    // The fill's own request answers what it read; the cache keeps the write's value.
    expect((await fill.filled).value).toEqual({ id: 'a', v: 1 });
    expect(JSON.parse((await redis.get('wt:a'))!)).toEqual({ id: 'a', v: 2 });
    expect(await cache.get('a')).toEqual({ result: 'hit', value: { id: 'a', v: 2 } });
  });

  it('does not bring back a value that a write-around write dropped', async () => {
    const cache = cacheFor('write-around', 'wa');
    const fill = slowFill(cache, 'b', { id: 'b', v: 1 });
    await fill.started;
    await cache.afterWrite({ id: 'b', v: 2 });
    fill.release();
    await fill.filled;
    expect(await redis.get('wa:b')).toBeNull();
  });

  it('keeps a delete’s "missing" marker over a fill that found the row', async () => {
    const cache = cacheFor('write-through', 'del');
    const fill = slowFill(cache, 'c', { id: 'c', v: 1 });
    await fill.started;
    await cache.afterDelete('c');
    fill.release();
    await fill.filled;
    expect(await cache.get('c')).toEqual({ result: 'hit-missing' });
  });

  it('stores the fill when no write came (and ends its lease)', async () => {
    const cache = cacheFor('write-through', 'ok');
    const fill = slowFill(cache, 'd', { id: 'd', v: 1 });
    await fill.started;
    fill.release();
    await fill.filled;
    expect(JSON.parse((await redis.get('ok:d'))!)).toEqual({ id: 'd', v: 1 });
    expect(await redis.exists('ok:d:fill')).toBe(0);
  });
});
