import { Registry } from '@sdl/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBloomFilter, createBloomMetrics, type BloomFilter } from '../../src/bloom-filter/bloom-filter.js';
import { rebuildBloomFilter } from '../../src/bloom-filter/bloom-rebuild.js';
import { bloomSizing } from '../../src/bloom-filter/bloom-sizing.js';
import { createAccountId } from '../../src/domain/ids.js';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { buildTestApp, dbReads, metricValue, testLogger, type TestApp } from '../support/helpers.js';
import { insertAccountsDirect } from '../support/direct-accounts.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

// BLOOM_FILTER switched at run time (PUT|DELETE /admin/settings) on one node started with it off,
// against two real Postgres shards and a real Redis. Switched on, the node reads through (bypass)
// until its own rebuild has swapped in, so ids the filter never heard of are never refused.
describe('BLOOM_FILTER at run time', () => {
  let stack: ShardedStack;
  let node: TestApp;
  const router = createShardRouter(2);
  const logger = testLogger();
  const existing: string[] = [];
  /** The live filter as it stands, asked directly. */
  let probe: BloomFilter;

  beforeAll(async () => {
    stack = await startShardedStack();
    probe = createBloomFilter({
      entity: 'account',
      redis: stack.redis,
      enabled: true,
      logger,
      metrics: createBloomMetrics(new Registry()),
    });
    node = await buildTestApp({ ...stack.env, REDIS_TIMEOUT_MS: '2000', CACHE_FILL_LEASE_MS: '0', ADMIN_PORT: '9902' });
    await node.app.ready();
    await vi.waitFor(async () => expect(await metricValue(node.metrics, 'api_cache_up')).toBe(1), { timeout: 30_000 });
  });

  afterAll(async () => {
    await node?.app.close();
    await stack?.stop();
  });

  const admin = () => node.app.apiAdmin!.app;
  const settings = (method: 'PUT' | 'DELETE', payload?: object) =>
    admin().inject({ method, url: '/admin/settings', ...(payload === undefined ? {} : { payload }) });
  const get = (id: string) => node.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  const create = async (name: string): Promise<string> => {
    const res = await node.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: `${name}@x.test`, name },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const reads = async () =>
    (await dbReads(node.metrics, '0', 'account_get')) + (await dbReads(node.metrics, '1', 'account_get'));
  const missingReads = (filter: string) =>
    metricValue(node.metrics, 'api_bloom_missing_reads_total', { entity: 'account', filter });
  const state = () => metricValue(node.metrics, 'api_bloom_filter_state');
  const dropCache = async (): Promise<void> => {
    const keys = await stack.redis.keys('account:*');
    if (keys.length > 0) await stack.redis.del(...keys);
  };
  /** Rows written straight to the shards: no node adds them to a filter (a node that never added). */
  const direct = (count: number) => insertAccountsDirect(stack.db, router, count);

  it('off: every missing id costs a database read, counted as filter="off"', async () => {
    expect(await state()).toBe(0);
    const [before, offBefore] = [await reads(), await missingReads('off')];
    for (let i = 0; i < 20; i++) expect((await get(createAccountId())).statusCode).toBe(404);
    expect((await reads()) - before).toBe(20);
    expect((await missingReads('off')) - offBefore).toBe(20);
  });

  it('off: creates still add their ids to a built filter (it stays complete while not consulted)', async () => {
    await rebuildBloomFilter({
      redis: stack.redis,
      primaries: stack.db,
      entity: 'account',
      sizing: bloomSizing(2000, 0.01),
      logger,
    });
    const created: string[] = [];
    for (let i = 0; i < 10; i++) created.push(await create(`while-off-${i}`));
    existing.push(...created);
    for (const id of created) expect(await probe.check(id), id).toBe('maybe');
  });

  it('switched on: reads go through until its rebuild swapped in, never a wrong 404, then missing ids cost nothing', async () => {
    // The live filter lacks these (as if a node that did not add had created them).
    const unknown = await direct(30);
    existing.push(...unknown);
    // Consulted at once, the filter would refuse some of them: the switch must not trust it yet.
    expect(await Promise.all(unknown.map((id) => probe.check(id)))).toContain('absent');
    await dropCache();
    const put = await settings('PUT', { bloomFilter: 'on' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ bloomFilter: 'on' });
    // Read while the rebuild runs and after: every existing id found.
    for (const id of existing) expect((await get(id)).statusCode, id).toBe(200);
    await vi.waitFor(async () => expect(await state()).toBe(2), { timeout: 30_000, interval: 100 });
    await dropCache();
    for (const id of existing) expect((await get(id)).statusCode, id).toBe(200);
    existing.push(await create('after-on'));
    expect((await get(existing.at(-1)!)).statusCode).toBe(200);

    const [before, maybeBefore, absentBefore] = [
      await reads(),
      await missingReads('maybe'),
      await metricValue(node.metrics, 'api_bloom_checks_total', { entity: 'account', result: 'absent' }),
    ];
    for (let i = 0; i < 100; i++) expect((await get(createAccountId())).statusCode).toBe(404);
    const falsePositives = (await missingReads('maybe')) - maybeBefore;
    expect((await reads()) - before).toBe(falsePositives);
    expect(falsePositives).toBeLessThan(10);
    const absent = await metricValue(node.metrics, 'api_bloom_checks_total', { entity: 'account', result: 'absent' });
    expect(absent - absentBefore).toBe(100 - falsePositives);
  });

  it('bad values are refused; DELETE goes back to the environment (off): missing ids read again', async () => {
    const bad = await settings('PUT', { bloomFilter: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'ERR_VALIDATION' });
    const reset = await settings('DELETE');
    expect(reset.json()).toMatchObject({ bloomFilter: 'off' });
    expect(await state()).toBe(0);
    const before = await reads();
    for (let i = 0; i < 10; i++) expect((await get(createAccountId())).statusCode).toBe(404);
    expect((await reads()) - before).toBe(10);
  });
});
