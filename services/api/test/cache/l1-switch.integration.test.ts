import { startAll, startPostgres, startRedis, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { EventBus } from '../support/event-bus.js';
import { insertColdAccount } from '../support/cold-account.js';
import { buildTestApp, dbReads, metricValue, type TestApp } from '../support/helpers.js';

// The L1 switched at run time (PUT /admin/settings: cacheL1Entries, cacheL1TtlMs, cacheL1Policy)
// on two api nodes started without one (CACHE_L1_ENTRIES=0, as compose starts them), sharing a
// real Postgres shard and a real Redis; an in-process bus stands in for Kafka (outbox relay to
// every node's L1 invalidation).
describe('the L1 switched at run time (/admin/settings)', () => {
  let pgServer: Started | undefined;
  let redisServer: Started | undefined;
  let db: pg.Pool | undefined;
  const nodes: TestApp[] = [];
  const bus = new EventBus();
  const router = createShardRouter(1);
  const [a, b] = [0, 1];

  beforeAll(async () => {
    [pgServer, redisServer] = await startAll(startPostgres, startRedis);
    db = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    for (const nodeId of ['api-a', 'api-b']) {
      const node = await buildTestApp(
        {
          NODE_ID: nodeId,
          SHARD_PRIMARIES: pgServer.url,
          REDIS_CACHE_URL: redisServer.url,
          REDIS_TIMEOUT_MS: '1000',
          OUTBOX_POLL_MS: '20',
          ADMIN_PORT: '9902',
        },
        { publisher: bus, cacheEvents: bus.subscriber },
      );
      nodes.push(node);
      await node.app.ready();
    }
    await vi.waitFor(
      async () => {
        for (const n of nodes) expect(await metricValue(n.metrics, 'api_cache_up')).toBe(1);
      },
      { timeout: 30_000, interval: 100 },
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    await db?.end();
    await Promise.all([pgServer, redisServer].map((s) => s?.stop().catch(() => undefined)));
  });

  const admin = (node: number) => nodes[node]!.app.apiAdmin!.app;
  const put = (node: number, payload: Record<string, unknown>) =>
    admin(node).inject({ method: 'PUT', url: '/admin/settings', payload });
  const get = (node: number, id: string) => nodes[node]!.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  const l1Hits = (node: number) =>
    metricValue(nodes[node]!.metrics, 'api_cache_l1_requests_total', { entity: 'account', result: 'hit' });
  /** What node a's /metrics says is in force. */
  const shown = async () => {
    const text = (await admin(a).inject({ method: 'GET', url: '/metrics' })).body;
    return {
      entries: /^api_cache_l1_max_entries(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1],
      policy: /^api_cache_l1_policy_info\{policy="(\w+)"[^}]*\} 1$/m.exec(text)?.[1],
    };
  };
  const cold = (name: string) => insertColdAccount(db!, router, name);
  /** Reads `ids` in order on node a; then whether the L1 still holds `probe` (a read of it is an L1 hit). */
  const keeps = async (ids: readonly string[], probe: string): Promise<boolean> => {
    for (const id of ids) expect((await get(a, id)).statusCode).toBe(200);
    const before = await l1Hits(a);
    expect((await get(a, probe)).statusCode).toBe(200);
    return (await l1Hits(a)) > before;
  };

  it('starts without an L1 and refuses bad values (400 ERR_VALIDATION)', async () => {
    expect(await shown()).toEqual({ entries: '0', policy: 'lru' });
    // No L1, no consumer for its invalidation (it starts when the settings turn an L1 on).
    expect(bus.subscribers).toBe(0);
    for (const bad of [{ cacheL1Policy: 'arc' }, { cacheL1Entries: -1 }, { cacheL1TtlMs: 0 }]) {
      const res = await put(a, bad);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
    }
    const id = await cold('no l1');
    await get(a, id);
    await get(a, id);
    expect(await l1Hits(a)).toBe(0);
  });

  it('lfu keeps a frequent key that lru drops; each switch starts an empty L1', async () => {
    expect((await put(a, { cacheL1Entries: 2, cacheL1TtlMs: 600_000, cacheL1Policy: 'lfu' })).statusCode).toBe(200);
    expect(await shown()).toEqual({ entries: '2', policy: 'lfu' });
    // Node a's invalidation consumer started with its L1 (node b has none: no consumer).
    await vi.waitFor(() => expect(bus.subscribers).toBe(1), { timeout: 30_000 });
    // hot read three times, then two others: a full L1 of 2 must give up one key for the last.
    const [hot, x, y] = [await cold('hot'), await cold('x'), await cold('y')];
    expect(await keeps([hot, hot, hot, x, y], hot)).toBe(true);

    expect((await put(a, { cacheL1Policy: 'lru' })).statusCode).toBe(200);
    // The switch emptied the L1: the hot key is a miss first.
    expect(await keeps([], hot)).toBe(false);
    expect(await keeps([hot, hot, x, y], hot)).toBe(false);
  });

  it("keeps the invalidation: node b's update ends node a's L1 entry", async () => {
    expect((await put(a, { cacheL1Entries: 100, cacheL1Policy: 'fifo' })).statusCode).toBe(200);
    const id = await cold('Old');
    expect((await get(a, id)).json<{ name: string }>().name).toBe('Old');
    expect(await keeps([], id)).toBe(true);
    const update = await nodes[b]!.app.inject({ method: 'PATCH', url: `/v1/accounts/${id}`, payload: { name: 'New' } });
    expect(update.statusCode).toBe(200);
    // Well before the 10-minute L1 TTL: the outbox event dropped the entry.
    await vi.waitFor(async () => expect((await get(a, id)).json<{ name: string }>().name).toBe('New'), {
      timeout: 30_000,
      interval: 100,
    });
  });

  it('with Redis down the L1 alone absorbs repeated reads; DELETE goes back to no L1', async () => {
    await redisServer!.stop();
    await vi.waitFor(async () => expect(await metricValue(nodes[a]!.metrics, 'api_cache_up')).toBe(0), {
      timeout: 30_000,
      interval: 100,
    });
    const reads = () => dbReads(nodes[a]!.metrics, '0', 'account_get');
    const id = await cold('redis down');
    const before = await reads();
    for (let i = 0; i < 3; i++) expect((await get(a, id)).statusCode).toBe(200);
    expect((await reads()) - before).toBe(1);

    expect((await admin(a).inject({ method: 'DELETE', url: '/admin/settings' })).statusCode).toBe(200);
    expect(await shown()).toEqual({ entries: '0', policy: 'lru' });
    const other = await cold('redis down, no l1');
    const start = await reads();
    for (let i = 0; i < 3; i++) expect((await get(a, other)).statusCode).toBe(200);
    expect((await reads()) - start).toBe(3);
  });
});
