import { startAll, startPostgres, startRedis, type Started } from '@sdl/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAccountId } from '../../src/domain/ids.js';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { createFillLease } from '../../src/cache/fill-lease.js';
import { EventBus } from '../support/event-bus.js';
import { insertColdAccount } from '../support/cold-account.js';
import { buildTestApp, dbReads, metricValue, type TestApp } from '../support/helpers.js';

const NODES = 3;
const REQUESTS = 300;

// Three api nodes sharing one real Postgres shard and one real Redis, as api-1..3 share them in
// compose. Their outbox relays publish into an in-process bus that also feeds each node's L1
// invalidation (standing in for Kafka and a consumer group per node).
describe('cache fill lease and L1 across three api nodes', () => {
  let pgServer: Started | undefined;
  let redisServer: Started | undefined;
  let db: pg.Pool | undefined;
  let redis: Redis | undefined;
  const nodes: TestApp[] = [];
  const bus = new EventBus();
  const router = createShardRouter(1);

  beforeAll(async () => {
    [pgServer, redisServer] = await startAll(startPostgres, startRedis);
    db = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    // As compose may configure it; the nodes report it (and warn: views write-back is on).
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    for (let i = 0; i < NODES; i++) {
      const node = await buildTestApp(
        {
          NODE_ID: `api-${i + 1}`,
          SHARD_PRIMARIES: pgServer.url,
          REDIS_CACHE_URL: redisServer.url,
          // Well above a loaded machine's request latency: the test checks counts, not timing.
          CACHE_FILL_LEASE_MS: '5000',
          // Timing is not under test: a Redis timeout on a loaded machine would mean a (correct) fallback read.
          REDIS_TIMEOUT_MS: '2000',
          CACHE_L1_ENTRIES: '100',
          // Far longer than the test: a fresh value must come from the invalidation, not expiry.
          CACHE_L1_TTL_MS: '600000',
          OUTBOX_POLL_MS: '20',
        },
        { publisher: bus, cacheEvents: bus.subscriber },
      );
      nodes.push(node);
      await node.app.ready();
    }
    await vi.waitFor(() => expect(bus.subscribers).toBe(NODES), { timeout: 30_000 });
    // On a loaded machine a node's first connect may time out; it reconnects in the background.
    await vi.waitFor(
      async () => {
        for (const n of nodes) expect(await metricValue(n.metrics, 'api_cache_up')).toBe(1);
      },
      { timeout: 30_000, interval: 100 },
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    redis?.disconnect();
    await db?.end();
    await Promise.all([pgServer, redisServer].map((s) => s?.stop().catch(() => undefined)));
  });

  const sum = async (name: string, labels: Record<string, string>) =>
    (await Promise.all(nodes.map((n) => metricValue(n.metrics, name, labels)))).reduce((a, b) => a + b, 0);
  const accountReads = async () =>
    (await Promise.all(nodes.map((n) => dbReads(n.metrics, '0', 'account_get')))).reduce((a, b) => a + b, 0);
  const get = (node: number, id: string) => nodes[node]!.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  /** REQUESTS concurrent GETs of `id`, round-robin over the nodes. */
  const stampede = (id: string) => Promise.all(Array.from({ length: REQUESTS }, (_, i) => get(i % NODES, id)));

  /** An account written straight to Postgres, so no node and no Redis has seen it: a cold key. */
  const coldAccount = (name: string) => insertColdAccount(db!, router, name);

  it('exposes the eviction policy of the cache Redis', async () => {
    await vi.waitFor(
      async () => {
        for (const n of nodes) {
          expect(await metricValue(n.metrics, 'api_cache_redis_maxmemory_policy', { policy: 'allkeys-lfu' })).toBe(1);
        }
      },
      { timeout: 10_000 },
    );
  });

  it('answers a cluster-wide stampede on one cold account with one database read', async () => {
    const id = await coldAccount('cold');
    const readsBefore = await accountReads();
    const wonBefore = await sum('api_cache_fill_lease_total', { entity: 'account', outcome: 'won' });

    const responses = await stampede(id);

    expect(responses.map((r) => r.statusCode)).toEqual(Array(REQUESTS).fill(200));
    expect(new Set(responses.map((r) => r.json<{ name: string }>().name))).toEqual(new Set(['cold']));
    expect((await accountReads()) - readsBefore).toBe(1);
    expect((await sum('api_cache_fill_lease_total', { entity: 'account', outcome: 'won' })) - wonBefore).toBe(1);
    const caches = responses.map((r) => r.headers['x-cache']);
    expect(caches.filter((c) => c !== 'hit' && c !== 'miss')).toEqual([]);
    // The winner's node reports its single-flight joiners as misses; every other answer is a hit.
    expect(caches).toContain('miss');
    expect(await redis!.exists(`account:${id}:fill`)).toBe(0);
  });

  it('answers a stampede on a missing id with one database read and a 404 everywhere', async () => {
    const id = createAccountId();
    const readsBefore = await accountReads();

    const responses = await stampede(id);

    expect(responses.map((r) => r.statusCode)).toEqual(Array(REQUESTS).fill(404));
    expect(new Set(responses.map((r) => r.json<{ code: string }>().code))).toEqual(
      new Set(['API_ERR_ACCOUNT_NOT_FOUND']),
    );
    expect((await accountReads()) - readsBefore).toBe(1);
  });

  it('reads the database itself when the lease holder never fills the cache', async () => {
    const id = await coldAccount('orphan');
    // A holder that died right after taking the lease: nothing will ever fill the key.
    await redis!.set(`account:${id}:fill`, 'dead-holder', 'PX', 300);
    const fallbacksBefore = await sum('api_cache_fill_lease_total', { entity: 'account', outcome: 'fallback' });
    const readsBefore = await accountReads();

    const res = await get(1, id);

    expect(res.statusCode).toBe(200);
    expect(res.json<{ name: string }>().name).toBe('orphan');
    expect(res.headers['x-cache']).toBe('miss');
    expect(
      (await sum('api_cache_fill_lease_total', { entity: 'account', outcome: 'fallback' })) - fallbacksBefore,
    ).toBe(1);
    expect((await accountReads()) - readsBefore).toBe(1);
  });

  it('does not read the database when the key was filled between the miss and the lease', async () => {
    const lease = createFillLease({ redis: redis!, leaseMs: 5000 });
    await redis!.set('lease-test:filled', 'v');
    let loads = 0;
    const filled = await lease.fill({
      key: 'lease-test:filled',
      load: async () => `db${++loads}`,
      decode: (raw) => raw,
    });
    expect(filled).toEqual({ result: 'v', outcome: 'waited' });
    expect(loads).toBe(0);
  });

  it('releases only its own lease: a holder slower than the lease leaves the next holder alone', async () => {
    const lease = createFillLease({ redis: redis!, leaseMs: 5000 });
    const filled = await lease.fill({
      key: 'lease-test:slow',
      load: async () => {
        // The lease expired while this holder read, and another filler took it over.
        await redis!.set('lease-test:slow:fill', 'next-holder', 'PX', 5000);
        return 'db';
      },
      decode: (raw) => raw,
    });
    expect(filled).toEqual({ result: 'db', outcome: 'won' });
    expect(await redis!.get('lease-test:slow:fill')).toBe('next-holder');
  });

  it('keeps serving a changed account from L1 until the change event arrives, then the new value', async () => {
    const created = await nodes[0]!.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: 'l1@example.com', name: 'Old' },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    // Node 2 learns the account (Redis hit) and then answers from its L1.
    expect((await get(1, id)).json<{ name: string }>().name).toBe('Old');
    const l1HitsBefore = await metricValue(nodes[1]!.metrics, 'api_cache_l1_requests_total', {
      entity: 'account',
      result: 'hit',
    });
    expect((await get(1, id)).headers['x-cache']).toBe('hit');
    expect(
      await metricValue(nodes[1]!.metrics, 'api_cache_l1_requests_total', { entity: 'account', result: 'hit' }),
    ).toBe(l1HitsBefore + 1);

    bus.paused = true; // Kafka is slow: the event of the update is held back.
    const updated = await nodes[0]!.app.inject({
      method: 'PATCH',
      url: `/v1/accounts/${id}`,
      payload: { name: 'New' },
    });
    expect(updated.statusCode).toBe(200);
    // The writing node and Redis have the new value; node 2's L1 is stale (bounded by its TTL).
    expect((await get(0, id)).json<{ name: string }>().name).toBe('New');
    expect(await redis!.get(`account:${id}`)).toContain('"New"');
    expect((await get(1, id)).json<{ name: string }>().name).toBe('Old');

    // Once the relay publishes the event and it is delivered, node 2 drops its entry.
    await vi.waitFor(
      async () => {
        await bus.resume();
        expect((await get(1, id)).json<{ name: string }>().name).toBe('New');
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(
      await metricValue(nodes[1]!.metrics, 'api_cache_l1_invalidations_total', { entity: 'account', source: 'event' }),
    ).toBeGreaterThanOrEqual(1);
  });
});
