import { closeRedis, createRedisClient, type Redis } from '@sdl/redis';
import { startAll, startPostgres, startRedis, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakePublisher } from '../support/fake-publisher.js';
import { buildTestApp, metricValue, testLogger, type TestApp } from '../support/helpers.js';

const TTL_MS = 3000;
const SHARDS = ['0', '1'];

/** An api node of the test, with its own publisher so the test sees which node relayed what. */
interface Node extends TestApp {
  readonly publisher: FakePublisher;
}

// Two and then three api nodes against two Postgres shards and three lock Redis: one relay per
// shard at a time, takeovers on crash and on graceful close, and every event published once.
describe('outbox relay guarded by a Redlock per shard', () => {
  let servers: Started[] = [];
  let db: pg.Pool[] = [];
  let env: Record<string, string>;
  let crashClients: Redis[] = [];
  /** Nodes still running (closed in afterAll); `all` keeps closed ones too, for their publishers. */
  const running: Node[] = [];
  const all: Node[] = [];

  beforeAll(async () => {
    servers = await startAll(startPostgres, startPostgres, startRedis, startRedis, startRedis);
    const [pg0, pg1, ...locks] = servers;
    db = [pg0!, pg1!].map((s) => new pg.Pool({ connectionString: s.url, max: 1 }));
    env = {
      SHARD_PRIMARIES: `${pg0!.url},${pg1!.url}`,
      OUTBOX_POLL_MS: '20',
      OUTBOX_LOCK_TTL_MS: String(TTL_MS),
      REDIS_TIMEOUT_MS: '500',
      VIEWS_MODE: 'off',
    };
    // Node "b" gets lock clients the test can kill; the others build theirs from REDIS_LOCK_URLS.
    crashClients = locks.map((s, i) =>
      createRedisClient({ url: s.url, timeoutMs: 500, logger: testLogger(), name: `crash-${i}` }),
    );
    env.REDIS_LOCK_URLS = locks.map((s) => s.url).join(',');
  });

  afterAll(async () => {
    await Promise.all(running.map((n) => n.app.close()));
    await Promise.all(crashClients.map((c) => closeRedis(c)));
    await Promise.all(db.map((pool) => pool.end()));
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  });

  const start = async (nodeId: string, lockClients?: Redis[]): Promise<Node> => {
    const publisher = new FakePublisher();
    const built = await buildTestApp(
      { ...env, NODE_ID: nodeId },
      { publisher, ...(lockClients ? { lockClients } : {}) },
    );
    await built.app.ready();
    const node = { ...built, publisher };
    running.push(node);
    all.push(node);
    return node;
  };
  const leads = async (node: Node, shard: string) =>
    (await metricValue(node.metrics, 'api_outbox_relay_leader', { shard })) === 1;
  const leadsAll = async (node: Node) => (await Promise.all(SHARDS.map((s) => leads(node, s)))).every(Boolean);
  const leadsNone = async (node: Node) => (await Promise.all(SHARDS.map((s) => leads(node, s)))).every((l) => !l);
  const createAccounts = async (node: Node, tag: string, count = 8) => {
    for (let i = 0; i < count; i++) {
      const res = await node.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: { email: `${tag}-${i}@example.com`, name: tag },
      });
      expect(res.statusCode).toBe(201);
    }
  };
  const outboxIds = async () =>
    (await Promise.all(db.map((pool) => pool.query<{ event_id: string }>('SELECT event_id FROM outbox')))).flatMap(
      (r) => r.rows.map((row) => row.event_id),
    );
  const publishedIds = (...from: Node[]) => from.flatMap((n) => n.publisher.sent.map((e) => e.headers?.['event-id']));
  /** Waits until every outbox row was published, then checks none was published twice. */
  const expectEachEventOnce = async () => {
    const expected = await outboxIds();
    await vi.waitFor(() => expect(publishedIds(...all).length).toBeGreaterThanOrEqual(expected.length), {
      timeout: 20_000,
    });
    const published = publishedIds(...all);
    expect(new Set(published).size).toBe(published.length);
    expect([...published].sort()).toEqual([...expected].sort());
  };

  let a: Node;
  let b: Node;

  it('relays each shard on the lock holder only', async () => {
    b = await start('api-b', crashClients);
    await vi.waitFor(async () => expect(await leadsAll(b)).toBe(true), { timeout: 20_000 });
    a = await start('api-a');
    await createAccounts(a, 'first');
    await createAccounts(b, 'first-b');
    await expectEachEventOnce();
    expect(a.publisher.sent).toHaveLength(0);
    expect(await leadsNone(a)).toBe(true);
    expect(await metricValue(b.metrics, 'api_outbox_relay_lock_acquired_total', { shard: '0' })).toBe(1);
  });

  it('lets another node take over when the holder stops extending (crash: no release)', async () => {
    // The lock as a crash sees it: the holder's lock connections die, nothing is released.
    for (const client of crashClients) client.disconnect();
    await vi.waitFor(async () => expect(await leadsNone(b)).toBe(true), { timeout: 20_000 });
    await vi.waitFor(async () => expect(await leadsAll(a)).toBe(true), { timeout: 20_000 });
    expect(
      // Dead connections refuse nothing: the hold ends when the validity runs out on b's clock.
      await metricValue(b.metrics, 'api_outbox_relay_lock_lost_total', { shard: '1', reason: 'expired' }),
    ).toBe(1);
    const sentByB = b.publisher.sent.length;
    await createAccounts(b, 'after-crash-b');
    await createAccounts(a, 'after-crash-a');
    await expectEachEventOnce();
    // b still serves writes but no longer relays: a published everything written since.
    expect(b.publisher.sent).toHaveLength(sentByB);
  });

  it('hands the shards over at once when the holder closes gracefully (release)', async () => {
    const c = await start('api-c');
    await createAccounts(c, 'before-close');
    await expectEachEventOnce();
    expect(await leadsNone(c)).toBe(true);

    running.splice(running.indexOf(a), 1);
    await a.app.close();
    await vi.waitFor(async () => expect(await leadsAll(c)).toBe(true), { timeout: 20_000 });
    expect(await metricValue(a.metrics, 'api_outbox_relay_lock_lost_total', { shard: '0', reason: 'stopped' })).toBe(1);
    const sentByA = a.publisher.sent.length;
    await createAccounts(c, 'after-close');
    await expectEachEventOnce();
    expect(a.publisher.sent).toHaveLength(sentByA);
  });
});
