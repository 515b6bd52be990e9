import { startAll, startPostgres, startRedis, type Started } from '@sdl/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { insertColdAccount } from '../support/cold-account.js';
import { buildTestApp, dbReads, metricValue, type TestApp } from '../support/helpers.js';

const NODES = 2;
const REQUESTS = 60;
type Stampede = 'xfetch' | 'none';

// Two groups of two api nodes (CACHE_STAMPEDE=xfetch and =none) on one real Postgres shard and
// one real Redis: a hot key whose expiry nears is refreshed early under xfetch, while under none
// its expiry sends every node's concurrent readers to the database.
describe('XFetch early refresh vs no stampede protection at a hot key expiry', () => {
  let pgServer: Started | undefined;
  let redisServer: Started | undefined;
  let db: pg.Pool | undefined;
  let redis: Redis | undefined;
  const groups: Record<Stampede, TestApp[]> = { xfetch: [], none: [] };
  const router = createShardRouter(1);

  beforeAll(async () => {
    [pgServer, redisServer] = await startAll(startPostgres, startRedis);
    db = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    for (const stampede of ['xfetch', 'none'] as const) {
      for (let i = 0; i < NODES; i++) {
        const node = await buildTestApp({
          NODE_ID: `api-${stampede}-${i + 1}`,
          SHARD_PRIMARIES: pgServer.url,
          REDIS_CACHE_URL: redisServer.url,
          CACHE_STAMPEDE: stampede,
          // Timing is not under test: a Redis timeout on a loaded machine would mean a bypass read.
          REDIS_TIMEOUT_MS: '2000',
        });
        groups[stampede].push(node);
        await node.app.ready();
      }
    }
    await vi.waitFor(
      async () => {
        for (const n of [...groups.xfetch, ...groups.none])
          expect(await metricValue(n.metrics, 'api_cache_up')).toBe(1);
      },
      // A loaded CI machine may need a while for 4 nodes' first Redis connections.
      { timeout: 60_000, interval: 100 },
    );
  });

  afterAll(async () => {
    await Promise.all([...groups.xfetch, ...groups.none].map((n) => n.app.close()));
    redis?.disconnect();
    await db?.end();
    await Promise.all([pgServer, redisServer].map((s) => s?.stop().catch(() => undefined)));
  });

  const sum = async (stampede: Stampede, read: (n: TestApp) => Promise<number>) =>
    (await Promise.all(groups[stampede].map(read))).reduce((a, b) => a + b, 0);
  const accountReads = (stampede: Stampede) => sum(stampede, (n) => dbReads(n.metrics, '0', 'account_get'));
  const refreshed = () =>
    sum('xfetch', (n) =>
      metricValue(n.metrics, 'api_cache_early_refresh_total', { entity: 'account', outcome: 'refreshed' }),
    );
  /** REQUESTS concurrent GETs of `id`, round-robin over the group's nodes. */
  const stampede = (group: Stampede, id: string) =>
    Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        groups[group][i % NODES]!.app.inject({ method: 'GET', url: `/v1/accounts/${id}` }),
      ),
    );

  /** An account in Postgres, read once through `group` so Redis holds it (and, for xfetch, its delta). */
  async function hotAccount(group: Stampede, name: string): Promise<string> {
    const id = await insertColdAccount(db!, router, name);
    const first = await groups[group][0]!.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
    expect(first.headers['x-cache']).toBe('miss');
    return id;
  }

  it('xfetch refreshes a hot key before it expires: every reader hits, one database read per refresh', async () => {
    const id = await hotAccount('xfetch', 'hot');
    const key = `account:${id}`;
    expect(Number(await redis!.get(`${key}:delta`))).toBeGreaterThan(0);
    // Ten seconds left and its last recompute took ten: each reader refreshes with chance e^-1
    // at first, rising to 1 at expiry (-delta * ln(rand) >= ttl left).
    await redis!.multi().pexpire(key, 10_000).set(`${key}:delta`, '10000', 'PX', 10_000).exec();
    const readsBefore = await accountReads('xfetch');
    const refreshedBefore = await refreshed();

    const responses = await stampede('xfetch', id);

    expect(responses.map((r) => r.statusCode)).toEqual(Array(REQUESTS).fill(200));
    expect(new Set(responses.map((r) => r.headers['x-cache']))).toEqual(new Set(['hit']));
    // The refresh runs behind the hit that drew it; wait until the key carries a full TTL again.
    await vi.waitFor(async () => expect(await redis!.pttl(key)).toBeGreaterThan(10_000), { timeout: 20_000 });
    // Each refresh is one database read (counted when the read ends, the refresh when it is
    // stored): wait for every node's refresh in flight to land.
    await vi.waitFor(
      async () => {
        const refreshes = (await refreshed()) - refreshedBefore;
        expect(refreshes).toBeGreaterThanOrEqual(1);
        expect((await accountReads('xfetch')) - readsBefore).toBe(refreshes);
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(await redis!.get(`${key}:delta`)).not.toBe('10000');
  });

  it('xfetch leaves a key with time to spare alone: no refresh, no database read', async () => {
    const id = await hotAccount('xfetch', 'calm');
    const readsBefore = await accountReads('xfetch');
    const refreshedBefore = await refreshed();
    // A full TTL (300 s) left and a delta of a few ms: e^-(300000 / delta) is 0 in doubles.
    const responses = await stampede('xfetch', id);
    expect(new Set(responses.map((r) => r.headers['x-cache']))).toEqual(new Set(['hit']));
    expect((await refreshed()) - refreshedBefore).toBe(0);
    expect((await accountReads('xfetch')) - readsBefore).toBe(0);
  });

  it('none: at expiry the concurrent readers miss and read the database once per node', async () => {
    const id = await hotAccount('none', 'expiring');
    const key = `account:${id}`;
    expect(await redis!.exists(`${key}:delta`)).toBe(0);
    await redis!.pexpire(key, 50);
    await vi.waitFor(async () => expect(await redis!.exists(key)).toBe(0), { timeout: 10_000, interval: 20 });
    const readsBefore = await accountReads('none');

    const responses = await stampede('none', id);

    expect(responses.map((r) => r.statusCode)).toEqual(Array(REQUESTS).fill(200));
    expect(responses.filter((r) => r.headers['x-cache'] === 'miss').length).toBeGreaterThan(1);
    // Single-flight collapses each node's misses, nothing collapses them across nodes.
    expect((await accountReads('none')) - readsBefore).toBeGreaterThan(1);
  });
});
