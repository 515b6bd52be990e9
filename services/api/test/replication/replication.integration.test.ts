import type { Metrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseReadToken } from '../../src/replication/read-scope.js';
import { buildTestApp, metricValue } from '../support/helpers.js';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../support/pg-replication.js';

// One shard = a real primary streaming to a real hot standby; no Redis, so every account/post
// read bypasses the cache and may use the replica. The steps build on each other (the last one
// stops the replica), so they run in order.
describe('replica reads against a real primary + streaming replica', () => {
  let pair: ReplicatedPostgres;
  let app: FastifyInstance;
  let metrics: Metrics;
  let replicaAdmin: pg.Pool;

  beforeAll(async () => {
    pair = await startReplicatedPostgres();
    ({ app, metrics } = await buildTestApp({
      SHARD_PRIMARIES: pair.primaryUrl,
      SHARD_REPLICAS: pair.replicaUrl,
      REPLICA_PROBE_MS: '100',
      MAX_REPLICA_LAG_MS: '60000',
      TOKENLESS_READS: 'replica',
      PG_CONNECT_TIMEOUT_MS: '1000',
    }));
    await app.ready();
    replicaAdmin = new pg.Pool({ connectionString: pair.replicaAdminUrl, max: 1 });
    replicaAdmin.on('error', () => undefined);
    await vi.waitFor(async () => expect(await metricValue(metrics, 'api_replica_up', { shard: '0' })).toBe(1), {
      timeout: 30_000,
      interval: 100,
    });
  });

  afterAll(async () => {
    await app?.close();
    await replicaAdmin?.end();
    await pair?.stop();
  });

  const createAccount = async (email: string) => {
    const res = await app.inject({ method: 'POST', url: '/v1/accounts', payload: { email, name: 'R' } });
    expect(res.statusCode).toBe(201);
    return { id: res.json<{ id: string }>().id, token: String(res.headers['x-read-token']) };
  };
  const getAccount = (id: string, token?: string, node: FastifyInstance = app) =>
    node.inject({
      method: 'GET',
      url: `/v1/accounts/${id}`,
      headers: token === undefined ? {} : { 'x-read-token': token },
    });

  it('returns the write LSN as x-read-token, and a read with it sees the write', async () => {
    const { id, token } = await createAccount('ryw@example.com');
    expect(token).toMatch(/^0:[0-9A-F]+\/[0-9A-F]+$/);
    const res = await getAccount(id, token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, email: 'ryw@example.com' });
    expect(['primary', 'replica']).toContain(res.headers['x-read-from']);
    // Once replayed (the probe catches up), a read with the token is served by the replica.
    await vi.waitFor(async () => {
      const again = await getAccount(id, token);
      expect(again.statusCode).toBe(200);
      expect(again.headers['x-read-from']).toBe('replica');
    });
  });

  /** A second node on the same pair with its own settings (the file's node: TOKENLESS_READS=replica), closed after `use`. */
  const withNode = async (
    env: Record<string, string>,
    use: (node: { app: FastifyInstance; metrics: Metrics }) => Promise<void>,
  ): Promise<void> => {
    const node = await buildTestApp({
      SHARD_PRIMARIES: pair.primaryUrl,
      SHARD_REPLICAS: pair.replicaUrl,
      REPLICA_PROBE_MS: '100',
      ...env,
    });
    try {
      await node.app.ready();
      await use(node);
    } finally {
      await node.app.close();
    }
  };

  it('reads without a token from the primary by default (TOKENLESS_READS=primary)', async () => {
    const { id, token } = await createAccount('default@example.com');
    await withNode({}, async (strict) => {
      await vi.waitFor(async () => expect(await metricValue(strict.metrics, 'api_replica_up', { shard: '0' })).toBe(1));
      const plain = await getAccount(id, undefined, strict.app);
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['x-read-from']).toBe('primary');
      await vi.waitFor(async () =>
        expect((await getAccount(id, token, strict.app)).headers['x-read-from']).toBe('replica'),
      );
    });
  });

  it('sends a token read to the primary while the replica has not replayed it', async () => {
    await replicaAdmin.query('SELECT pg_wal_replay_pause()');
    try {
      const { id, token } = await createAccount('paused@example.com');
      const lsn = (parseReadToken(token) as Map<number, bigint>).get(0)!;
      expect(app.shards.replicas.usable(0, lsn)).toBe(false);
      // The write is read back from the primary, never a 404 from the stale replica.
      for (let i = 0; i < 5; i++) {
        const res = await getAccount(id, token);
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-read-from']).toBe('primary');
      }
      // Without a token the (lag-bounded) replica may answer, and it has not seen the write yet.
      const stale = await getAccount(id);
      expect(stale.headers['x-read-from']).toBe('replica');
      expect(stale.statusCode).toBe(404);
      // Both lag gauges report the paused replay: bytes behind, and the age of the oldest write the
      // replica has not replayed (0 would mean the monitor saw no lag at all).
      await vi.waitFor(async () => {
        expect(await metricValue(metrics, 'api_replica_lag_bytes', { shard: '0' })).toBeGreaterThan(0);
        expect(await metricValue(metrics, 'api_replica_lag_seconds', { shard: '0' })).toBeGreaterThan(0);
      });

      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
      await vi.waitFor(async () => {
        const res = await getAccount(id, token);
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-read-from']).toBe('replica');
      });
      // Caught up: both gauges fall back to 0.
      await vi.waitFor(async () => {
        expect(await metricValue(metrics, 'api_replica_lag_bytes', { shard: '0' })).toBe(0);
        expect(await metricValue(metrics, 'api_replica_lag_seconds', { shard: '0' })).toBe(0);
      });
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    }
  });

  it('probes at the idle period once no read asks, and at once on the next read (REPLICA_IDLE_PROBE_MS)', async () => {
    const { id, token } = await createAccount('idle@example.com');
    const idleMs = 4000;
    await withNode({ REPLICA_IDLE_PROBE_MS: String(idleMs) }, async (quiet) => {
      const probes = () => metricValue(quiet.metrics, 'api_replica_probes_total', { shard: '0' });
      const monitor = quiet.app.shards.replicas;
      // No read asks: after idleMs of busy-period probes, the next one waits idleMs.
      await vi.waitFor(() => expect(monitor.idle).toBe(true), { timeout: idleMs * 3, interval: 20 });
      const armed = await probes();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // At the busy period this would be about 15; a timer that fires late only lowers it.
      expect((await probes()) - armed).toBeLessThanOrEqual(1);
      const before = await probes();
      expect((await getAccount(id, token, quiet.app)).statusCode).toBe(200);
      expect(monitor.idle).toBe(false);
      // The read started a probe round: it lands long before the idle timer would have fired.
      await vi.waitFor(async () => expect(await probes()).toBeGreaterThan(before), { timeout: idleMs / 2 });
      await vi.waitFor(async () =>
        expect((await getAccount(id, token, quiet.app)).headers['x-read-from']).toBe('replica'),
      );
    });
  });

  it('reads posts (get and list) from the replica once the token is replayed; a bad token means primary', async () => {
    const account = await createAccount('posts@example.com');
    const { id } = account;
    // With the account's token: without it the owner check may read a replica that has not replayed
    // the account yet (TOKENLESS_READS=replica here) and answer 404, as CI saw once.
    const created = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${id}/posts`,
      headers: { 'x-read-token': account.token },
      payload: { title: 't', body: 'b' },
    });
    expect(created.statusCode).toBe(201);
    const token = String(created.headers['x-read-token']);
    const postId = created.json<{ id: string }>().id;
    await vi.waitFor(async () => {
      const list = await app.inject({
        method: 'GET',
        url: `/v1/accounts/${id}/posts`,
        headers: { 'x-read-token': token },
      });
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
      expect(list.headers['x-read-from']).toBe('replica');
      const one = await app.inject({
        method: 'GET',
        url: `/v1/accounts/${id}/posts/${postId}`,
        headers: { 'x-read-token': token },
      });
      expect(one.statusCode).toBe(200);
      expect(one.headers['x-read-from']).toBe('replica');
    });
    const bad = await getAccount(id, 'not-a-token');
    expect(bad.statusCode).toBe(200);
    expect(bad.headers['x-read-from']).toBe('primary');
    expect(await metricValue(metrics, 'api_db_reads_total', { shard: '0', from: 'replica' })).toBeGreaterThan(0);
  });

  it('serves reads from the primary, without errors, once the replica is stopped', async () => {
    const { id, token } = await createAccount('down@example.com');
    await pair.replica.stop({ timeout: 2000 });
    for (const t of [token, undefined]) {
      const res = await getAccount(id, t);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-read-from']).toBe('primary');
    }
    const list = await app.inject({ method: 'GET', url: `/v1/accounts/${id}/posts` });
    expect(list.statusCode).toBe(200);
    expect(list.headers['x-read-from']).toBe('primary');
    await vi.waitFor(async () => expect(await metricValue(metrics, 'api_replica_up', { shard: '0' })).toBe(0));
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });
});
