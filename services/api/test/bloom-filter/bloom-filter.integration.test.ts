import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTcpProxy, type TcpProxy } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAccountId, createPrefixedId } from '../../src/domain/ids.js';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { createBloomFilter, createBloomMetrics } from '../../src/bloom-filter/bloom-filter.js';
import { rebuildBloomFilter } from '../../src/bloom-filter/bloom-rebuild.js';
import { bloomSizing } from '../../src/bloom-filter/bloom-sizing.js';
import { Registry } from '@sdl/metrics';
import { buildTestApp, dbReads, metricValue, testLogger, type TestApp } from '../support/helpers.js';
import { insertAccountsDirect } from '../support/direct-accounts.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

const SIZING = bloomSizing(2000, 0.01);
const rebuildBin = fileURLToPath(new URL('../../dist/bin/bloom-rebuild.js', import.meta.url));

// Two real Postgres shards and a real Redis; one node with BLOOM_FILTER=on (its Redis through a
// proxy the test can freeze), one with it off, both on the same data.
describe('Bloom filter against cache penetration', () => {
  let stack: ShardedStack;
  let proxy: TcpProxy;
  let on: TestApp;
  let off: TestApp;
  const router = createShardRouter(2);
  const logger = testLogger();
  const existing: string[] = [];

  beforeAll(async () => {
    stack = await startShardedStack();
    const { hostname, port } = new URL(stack.env.REDIS_CACHE_URL!);
    proxy = await startTcpProxy({ host: hostname, port: Number(port) });
    // Timing is not under test: a timeout on a loaded machine would be a (correct) bypass.
    const env = { ...stack.env, REDIS_TIMEOUT_MS: '2000', CACHE_FILL_LEASE_MS: '0' };
    on = await buildTestApp({ ...env, BLOOM_FILTER: 'on', REDIS_CACHE_URL: `redis://127.0.0.1:${proxy.port}` });
    off = await buildTestApp({ ...env, NODE_ID: 'api-off' });
    await Promise.all([on.app.ready(), off.app.ready()]);
    await vi.waitFor(async () => expect(await metricValue(on.metrics, 'api_cache_up')).toBe(1), { timeout: 30_000 });
  });

  afterAll(async () => {
    await Promise.all([on?.app.close(), off?.app.close()]);
    await proxy?.close();
    await stack?.stop();
  });

  const get = (node: TestApp, id: string) => node.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  const create = async (node: TestApp, name: string): Promise<string> => {
    const res = await node.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: `${name}@example.com`, name },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const reads = async (node: TestApp, op = 'account_get') =>
    (await dbReads(node.metrics, '0', op)) + (await dbReads(node.metrics, '1', op));
  const checks = (result: string) => metricValue(on.metrics, 'api_bloom_checks_total', { entity: 'account', result });
  const falsePositives = () => metricValue(on.metrics, 'api_bloom_false_positives_total', { entity: 'account' });
  const rebuild = (batchSize?: number) =>
    rebuildBloomFilter({
      redis: stack.redis,
      primaries: stack.db,
      entity: 'account',
      sizing: SIZING,
      logger,
      ...(batchSize === undefined ? {} : { batchSize }),
    });
  /** Drops every cached account (write-through filled them): the next reads ask the filter. */
  const dropCache = async (): Promise<void> => {
    const keys = await stack.redis.keys('account:*');
    if (keys.length > 0) await stack.redis.del(...keys);
  };
  /** Accounts written straight to their shards, around the api (the filter never hears of them). */
  const direct = (count: number) => insertAccountsDirect(stack.db, router, count);

  it('fails open before the first build: a missing id is read from the database', async () => {
    const before = await reads(on);
    expect((await get(on, createAccountId())).statusCode).toBe(404);
    expect((await reads(on)) - before).toBe(1);
    expect(await checks('bypass')).toBeGreaterThan(0);
  });

  it('rebuilds from every shard and finds every id, including ones created after the build', async () => {
    for (let i = 0; i < 20; i++) existing.push(await create(on, `before-${i}`));
    existing.push(...(await direct(40)));
    const report = await rebuild(25);
    expect(report).toMatchObject({ items: 60, bits: SIZING.bits, hashes: SIZING.hashes });
    // Created after the build (a false negative would be a wrong 404), on both shards (a node with
    // the filter off adds its creates too: bloom-switch.integration.test.ts).
    const after: string[] = [];
    for (let i = 0; i < 20; i++) after.push(await create(on, `after-${i}`));
    expect(new Set(after.map((id) => router.route(id).shard))).toEqual(new Set([0, 1]));
    existing.push(...after);
    await dropCache();
    const [absentBefore, maybeBefore] = [await checks('absent'), await checks('maybe')];
    for (const id of existing) expect((await get(on, id)).statusCode, id).toBe(200);
    expect(await checks('absent')).toBe(absentBefore);
    expect((await checks('maybe')) - maybeBefore).toBe(existing.length);
  });

  it('keeps every id created while a rebuild runs', async () => {
    const during: string[] = [];
    const creating = (async () => {
      for (let i = 0; i < 20; i++) during.push(await create(on, `during-${i}`));
    })();
    await Promise.all([rebuild(5), creating]);
    existing.push(...during);
    await dropCache();
    const absentBefore = await checks('absent');
    for (const id of existing) expect((await get(on, id)).statusCode, id).toBe(200);
    expect(await checks('absent')).toBe(absentBefore);
  });

  it('answers missing ids without a database query with the filter on, and with one each with it off', async () => {
    // Two sets: a 404 leaves a negative-cache marker that would answer the other node's read.
    const missing = Array.from({ length: 200 }, () => createAccountId());
    const missingOff = Array.from({ length: 200 }, () => createAccountId());
    const [onBefore, offBefore, absentBefore, fpBefore] = [
      await reads(on),
      await reads(off),
      await checks('absent'),
      await falsePositives(),
    ];
    for (const id of missing) expect((await get(on, id)).statusCode).toBe(404);
    for (const id of missingOff) expect((await get(off, id)).statusCode).toBe(404);
    const fp = (await falsePositives()) - fpBefore;
    // Only the filter's false positives reach the database (about p of them; 130 ids in 2000's room: far fewer).
    expect((await reads(on)) - onBefore).toBe(fp);
    expect(fp).toBeLessThan(10);
    expect((await checks('absent')) - absentBefore).toBe(200 - fp);
    expect((await reads(off)) - offBefore).toBe(200);
  });

  it('guards posts too: a missing post costs no query, a new one is found', async () => {
    const accountId = existing[0]!;
    const res = await on.app.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/posts`,
      payload: { title: 't', body: 'b' },
    });
    expect(res.statusCode).toBe(201);
    const postId = res.json<{ id: string }>().id;
    expect((await on.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/posts/${postId}` })).statusCode).toBe(
      200,
    );
    await rebuildBloomFilter({ redis: stack.redis, primaries: stack.db, entity: 'post', sizing: SIZING, logger });
    const before = await reads(on, 'post_get');
    const url = `/v1/accounts/${accountId}/posts/${createPrefixedId('pst')}`;
    expect((await on.app.inject({ method: 'GET', url })).statusCode).toBe(404);
    expect((await reads(on, 'post_get')) - before).toBe(0);
    const found = await on.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/posts/${postId}` });
    expect(found.statusCode).toBe(200);
  });

  it('answers correctly while Redis is down, and keeps the ids created meanwhile', async () => {
    proxy.freeze();
    try {
      const created = await create(on, 'while-down');
      existing.push(created);
      const answers = await Promise.all([get(on, existing[0]!), get(on, created), get(on, createAccountId())]);
      expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 404]);
      expect(await metricValue(on.metrics, 'api_bloom_deferred_adds_total', { entity: 'account' })).toBeGreaterThan(0);
    } finally {
      proxy.thaw();
    }
    // The deferred add is delivered before the node's next check: never a wrong 404.
    await vi.waitFor(async () => expect(await metricValue(on.metrics, 'api_cache_up')).toBe(1), { timeout: 30_000 });
    await dropCache();
    const absentBefore = await checks('absent');
    for (const id of existing) expect((await get(on, id)).statusCode, id).toBe(200);
    expect(await checks('absent')).toBe(absentBefore);
  });

  it('fails open when its bits are gone (flush, restart, eviction), never a wrong 404', async () => {
    await stack.redis.flushall();
    const bypassBefore = await checks('bypass');
    for (const id of existing.slice(0, 10)) expect((await get(on, id)).statusCode, id).toBe(200);
    expect((await checks('bypass')) - bypassBefore).toBe(10);
  });

  it('observes a false-positive rate near the configured p at n ids', async () => {
    // Fill the table to exactly n ids, so the filter holds what it was sized for.
    const have = (
      await Promise.all(stack.db.map((db) => db.query<{ n: string }>('SELECT count(*) AS n FROM accounts')))
    )
      .map((r) => Number(r.rows[0]!.n))
      .reduce((a, b) => a + b, 0);
    await direct(2000 - have);
    // Through the operator tool (`./lab bloom rebuild` runs it in an api container), built by tsc.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [rebuildBin, 'account', '--expected-items', '2000', '--false-positive-rate', '0.01'],
      { env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn' } },
    );
    expect(JSON.parse(stdout)).toMatchObject({
      entity: 'account',
      items: 2000,
      bits: SIZING.bits,
      hashes: SIZING.hashes,
    });
    const filter = createBloomFilter({
      entity: 'account',
      redis: stack.redis,
      enabled: true,
      logger,
      metrics: createBloomMetrics(new Registry()),
    });
    let maybe = 0;
    for (let i = 0; i < 10_000; i += 500) {
      const answers = await Promise.all(Array.from({ length: 500 }, () => filter.check(createAccountId())));
      maybe += answers.filter((a) => a === 'maybe').length;
      expect(answers).not.toContain('bypass');
    }
    // Expected about 100 (p = 0.01); a generous bound either way, not a coin toss.
    expect(maybe / 10_000).toBeLessThan(0.03);
    expect(maybe / 10_000).toBeGreaterThan(0.003);
  });
});
