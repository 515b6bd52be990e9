import { createLogger } from '@sdl/logging';
import { createRedisClient, closeRedis, type Redis } from '@sdl/redis';
import { startRedis, type StartedRedis } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, metricValue, UNREACHABLE_PG, type TestApp } from '../support/helpers.js';

// What the console reads per entity: the configured cache mode, and the write-back backlog (dirty
// view counters not yet flushed to Postgres), asked from Redis at each scrape.
describe('api metrics: cache mode per entity and the write-back backlog', () => {
  let server: StartedRedis | undefined;
  let node: TestApp | undefined;
  let redis: Redis | undefined;

  beforeAll(async () => {
    server = await startRedis();
    node = await buildTestApp({
      SHARD_PRIMARIES: UNREACHABLE_PG,
      PG_CONNECT_TIMEOUT_MS: '500',
      REDIS_CACHE_URL: server.url,
      NODE_ID: 'api-7',
      POSTS_CACHE_MODE: 'off',
      // No flush during the test: the backlog stays as written.
      VIEWS_FLUSH_MS: '600000',
    });
    await node.app.ready();
    redis = createRedisClient({
      url: server.url,
      timeoutMs: 1000,
      logger: createLogger({ name: 'backlog', level: 'silent' }),
      name: 'backlog',
    });
    // No offline queue: wait for the connection before the first command.
    const client = redis;
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  });

  afterAll(async () => {
    await node?.app.close();
    if (redis !== undefined) await closeRedis(redis);
    await server?.stop();
  });

  const series = async (name: string) => {
    const metric = node!.metrics.registry.getSingleMetric(name);
    return metric === undefined ? [] : (await metric.get()).values.map((v) => ({ ...v.labels, value: v.value }));
  };

  it('api_cache_mode_info{entity,mode} 1 for each entity, as configured', async () => {
    expect(await series('api_cache_mode_info')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entity: 'account', mode: 'write-through', value: 1 }),
        expect.objectContaining({ entity: 'post', mode: 'off', value: 1 }),
        expect.objectContaining({ entity: 'post_views', mode: 'write-back', value: 1 }),
      ]),
    );
    expect(await series('api_cache_mode_info')).toHaveLength(3);
  });

  it('api_cache_write_back_pending{entity,queue}: the shared dirty hash and this node’s flush', async () => {
    await redis!.hset('views:dirty', 'acc_a:pst_1', 3, 'acc_a:pst_2', 1);
    await redis!.hset('views:flushing:api-7', 'acc_b:pst_3', 2);
    await redis!.hset('views:flushing:api-8', 'acc_c:pst_4', 5); // another node's: not this one's figure
    const pending = (queue: string) => metricValue(node!.metrics, 'api_cache_write_back_pending', { queue });
    expect(await pending('shared')).toBe(2);
    expect(await pending('node')).toBe(1);
    await redis!.del('views:dirty', 'views:flushing:api-7', 'views:flushing:api-8');
    expect(await pending('shared')).toBe(0);
  });

  it('leaves the backlog out of the scrape while Redis does not answer', async () => {
    await server!.stop();
    expect(await series('api_cache_write_back_pending')).toEqual([]);
    server = undefined;
  });
});
