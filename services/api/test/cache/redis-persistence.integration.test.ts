import { startAll, startRedis, type StartedRedis } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, metricValue, UNREACHABLE_PG, type TestApp } from '../support/helpers.js';

// The persistence mode each Redis runs with (REDIS_CACHE_PERSISTENCE / REDIS_LOCK_PERSISTENCE in
// compose, infra/redis/persistence.sh), as an api node reads it back with CONFIG GET.
describe('api metrics show the Redis persistence modes in effect', () => {
  let servers: StartedRedis[] = [];
  let node: TestApp | undefined;

  beforeAll(async () => {
    servers = await startAll(
      () => startRedis({ persistence: 'aof-everysec' }),
      () => startRedis({ persistence: 'aof-always' }),
      () => startRedis({ persistence: 'none' }),
    );
    const [cache, lock1, lock2] = servers;
    node = await buildTestApp({
      SHARD_PRIMARIES: UNREACHABLE_PG,
      PG_CONNECT_TIMEOUT_MS: '500',
      REDIS_CACHE_URL: cache!.url,
      REDIS_LOCK_URLS: `${lock1!.url},${lock2!.url}`,
      VIEWS_MODE: 'off',
    });
    await node.app.ready();
  });

  afterAll(async () => {
    await node?.app.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const mode = (name: string, labels: Record<string, string>) => metricValue(node!.metrics, name, labels);

  it('api_cache_redis_persistence{mode} and api_lock_redis_persistence{instance,mode}', async () => {
    const patiently = { timeout: 15_000, interval: 100 };
    await vi.waitFor(
      async () => expect(await mode('api_cache_redis_persistence', { mode: 'aof-everysec' })).toBe(1),
      patiently,
    );
    expect(await mode('api_cache_redis_persistence', { mode: 'none' })).toBe(0);
    await vi.waitFor(async () => {
      expect(await mode('api_lock_redis_persistence', { instance: '1', mode: 'aof-always' })).toBe(1);
      expect(await mode('api_lock_redis_persistence', { instance: '2', mode: 'none' })).toBe(1);
    }, patiently);
    expect(await mode('api_lock_redis_persistence', { instance: '1', mode: 'none' })).toBe(0);
  });
});
