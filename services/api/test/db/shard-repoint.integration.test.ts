import { createCoordinator, type Coordinator } from '@sdl/coord';
import { createShardEndpointStore, endpointOf, type ShardEndpointStore } from '@sdl/db';
import { startAll, startEtcd, startPostgres, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, metricValue, testLogger, type TestApp } from '../support/helpers.js';
import { sql } from '../support/pg-sql.js';

// Failover without a restart (issue 14): an api node whose one shard is repointed through etcd
// (what `./lab shard promote N` writes) swaps its pool to the new server, migrating it first, while
// a query already running on the old one finishes there; without the key it goes back to the URL file.
const WAIT = { timeout: 30_000, interval: 100 };

const accountsOn = async (url: string, id: string): Promise<number> =>
  (await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM accounts WHERE id = $1', [id]))[0]!.n;

describe('a shard repointed through etcd', () => {
  let oldPrimary: Started;
  let newPrimary: Started;
  let etcd: Started;
  let coordinator: Coordinator;
  let store: ShardEndpointStore;
  let node: TestApp;

  const primaryIs = (host: string) =>
    vi.waitFor(
      async () => expect(await metricValue(node.metrics, 'api_shard_primary_info', { shard: '0', host })).toBe(1),
      WAIT,
    );
  const createAccount = async (name: string): Promise<string> => {
    const res = await node.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: `${name}@example.com`, name },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };

  beforeAll(async () => {
    [oldPrimary, newPrimary, etcd] = await startAll(startPostgres, startPostgres, startEtcd);
    coordinator = createCoordinator({ endpoints: [etcd.url], logger: testLogger() });
    store = createShardEndpointStore({ source: coordinator, shardCount: 1 });
    node = await buildTestApp({ SHARD_PRIMARIES: oldPrimary.url, ETCD_ENDPOINTS: etcd.url });
    await node.app.ready();
  }, 120_000);

  afterAll(async () => {
    await node?.app.close();
    await coordinator?.close();
    await Promise.all([oldPrimary?.stop(), newPrimary?.stop(), etcd?.stop()]);
  });

  it('serves from the URL file until etcd names another server, then writes there, unrestarted', async () => {
    await primaryIs(endpointOf(oldPrimary.url));
    const before = await createAccount('before');
    expect(await accountsOn(oldPrimary.url, before)).toBe(1);

    // A query holds a pooled connection to the old server across the swap (blocked on a lock held here).
    const holder = new pg.Client({ connectionString: oldPrimary.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(42)');
    const inFlight = node.app.shards.withClient(0, 'held', (c) =>
      c.query<{ ok: number }>('SELECT pg_advisory_lock(42), 1 AS ok'),
    );
    await vi.waitFor(async () => {
      const waiting = await sql(oldPrimary.url, "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory'");
      expect(waiting).toHaveLength(1);
    }, WAIT);

    await store.publish(0, { primary: endpointOf(newPrimary.url), replica: null });
    await primaryIs(endpointOf(newPrimary.url));
    expect(await metricValue(node.metrics, 'api_shard_repoints_total', { shard: '0' })).toBe(1);
    expect(await metricValue(node.metrics, 'api_shard_primary_info', { host: endpointOf(oldPrimary.url) })).toBe(0);

    // The new server was migrated before it served: writes land there, and only there.
    const after = await createAccount('after');
    expect(await accountsOn(newPrimary.url, after)).toBe(1);
    expect(await accountsOn(oldPrimary.url, after)).toBe(0);

    // The query on the old pool finishes there; then the old pool ends and leaves no connection behind.
    await holder.end();
    expect((await inFlight).rows[0]?.ok).toBe(1);
    await vi.waitFor(async () => {
      const left = await sql(oldPrimary.url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'sdl-api'");
      expect(left).toHaveLength(0);
    }, WAIT);

    // The same host under a new epoch (a server replaced under its name): a new pool all the same.
    await store.publish(0, { primary: endpointOf(newPrimary.url), replica: null, epoch: 'rebuild-1' });
    await vi.waitFor(async () => {
      expect(await metricValue(node.metrics, 'api_shard_repoints_total', { shard: '0' })).toBe(2);
    }, WAIT);
    expect(
      await metricValue(node.metrics, 'api_shard_primary_info', {
        host: endpointOf(newPrimary.url),
        epoch: 'rebuild-1',
      }),
    ).toBe(1);

    // Without the key the URL file holds again.
    const removed = await etcd.container.exec(['etcdctl', 'del', store.key(0)]);
    expect(removed.output.trim()).toBe('1');
    await primaryIs(endpointOf(oldPrimary.url));
    expect(await accountsOn(oldPrimary.url, await createAccount('back'))).toBe(1);
  }, 90_000);

  it('refuses a value that is not an endpoint and keeps the running pool', async () => {
    await coordinator.put(store.key(0), '{"primary":"postgres://lab:secret@elsewhere:5432/lab"}');
    await vi.waitFor(async () => {
      expect(await metricValue(node.metrics, 'api_shard_endpoint_invalid_total', { shard: '0' })).toBe(1);
    }, WAIT);
    expect(
      await metricValue(node.metrics, 'api_shard_primary_info', { shard: '0', host: endpointOf(oldPrimary.url) }),
    ).toBe(1);
    await createAccount('still');
  });
});
