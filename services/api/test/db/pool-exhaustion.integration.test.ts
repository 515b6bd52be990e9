import { startPostgres, type Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, idOnShard } from '../support/helpers.js';

const CONNECT_TIMEOUT_MS = 300;

// "Postgres slow": an outside session holds an exclusive lock, so the api's queries hang and keep
// every pooled connection busy (PG_POOL_MAX=2). The next request cannot get a connection and must
// answer 503 after the pool's connect timeout, far sooner than the statement timeout.
describe('pool exhaustion on a slow shard', () => {
  let server: Started;
  let app: FastifyInstance;
  let admin: pg.Client;
  let observer: pg.Client;

  beforeAll(async () => {
    server = await startPostgres();
    ({ app } = await buildTestApp({
      SHARD_PRIMARIES: server.url,
      PG_POOL_MAX: '2',
      PG_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      PG_STATEMENT_TIMEOUT_MS: '30000',
    }));
    await app.ready();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    observer = new pg.Client({ connectionString: server.url });
    await observer.connect();
  });

  afterAll(async () => {
    await app?.close();
    await admin?.end().catch(() => undefined);
    await observer?.end().catch(() => undefined);
    await server?.stop();
  });

  it('answers 503 API_ERR_SHARD_UNAVAILABLE from the connect timeout (not the statement timeout), stays up, and recovers', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: 'slow@example.com', name: 'S' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const get = (accountId = id) => app.inject({ method: 'GET', url: `/v1/accounts/${accountId}` });

    await admin.query('BEGIN');
    await admin.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    // Two different ids: reads of one id would share a single database read (single-flight).
    // (inject starts a request only once awaited: Promise.resolve starts them now.)
    let settled = 0;
    const stuck = [get(), get(idOnShard(0, 1))].map(async (res) => Promise.resolve(res).finally(() => settled++));
    // Both pooled connections are now waiting on the lock.
    await vi.waitFor(async () => {
      // Another session: inside admin's transaction pg_stat_activity is a frozen snapshot.
      const { rows } = await observer.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'sdl-api' AND state = 'active' AND wait_event_type = 'Lock'`,
      );
      expect(Number(rows[0]!.n)).toBe(2);
    });

    // A third id (a read of a stuck id would join its in-flight read instead of asking the pool).
    const rejected = await get(idOnShard(0, 1));
    expect(rejected.statusCode).toBe(503);
    expect(rejected.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE' });
    expect(rejected.headers['retry-after']).toBe('1');
    // The pool's connect timeout answered, not the 30 s statement timeout: both stuck reads (sent
    // first, so their statements would have timed out first) are still waiting on the lock.
    // How long the 503 takes: bench/degraded/fail-fast.ts.
    expect(settled).toBe(0);
    const { rows } = await observer.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'sdl-api' AND state = 'active' AND wait_event_type = 'Lock'`,
    );
    expect(Number(rows[0]!.n)).toBe(2);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    await admin.query('ROLLBACK');
    expect((await Promise.all(stuck)).map((res) => res.statusCode)).toEqual([200, 404]);
    const after = await Promise.all([get(), get(), get()]);
    for (const res of after) expect(res.statusCode).toBe(200);
  });
});
