import { startPostgres, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/index.js';

describe('withTransaction against a real Postgres', () => {
  let server: Started;
  let pool: pg.Pool;

  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 2 });
    await pool.query('CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY)');
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  });

  const count = async (): Promise<number> =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]!.n);

  it('commits what fn wrote and returns its value', async () => {
    const before = await count();
    const value = await withTransaction(pool, async (c) => {
      await c.query('INSERT INTO t VALUES (1)');
      return 'done';
    });
    expect(value).toBe('done');
    expect(await count()).toBe(before + 1);
  });

  it('rolls back everything fn wrote when fn throws, and rethrows its error', async () => {
    const before = await count();
    const boom = new Error('boom');
    await expect(
      withTransaction(pool, async (c) => {
        await c.query('INSERT INTO t VALUES (2)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await count()).toBe(before);
    // The connection went back to the pool usable: both pooled clients still work.
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
  });

  it('runs a custom begin and commit in their round trips, and afterBegin can veto', async () => {
    const seen: unknown[] = [];
    await withTransaction(pool, async (c) => c.query('INSERT INTO t VALUES (3)'), {
      begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 41 + 1 AS answer',
      afterBegin: (results: pg.QueryResult<{ answer: number }>[]) => seen.push(results[1]?.rows[0]?.answer),
      commit: "COMMIT; SELECT 'committed' AS state",
      afterCommit: (results: pg.QueryResult<{ state: string }>[]) => seen.push(results[1]?.rows[0]?.state),
    });
    expect(seen).toEqual([42, 'committed']);
    const before = await count();
    const veto = new RangeError('fenced');
    await expect(
      withTransaction(pool, async (c) => c.query('INSERT INTO t VALUES (4)'), {
        afterBegin: () => {
          throw veto;
        },
      }),
    ).rejects.toBe(veto);
    expect(await count()).toBe(before);
  });

  it('on a caller-owned client, leaves the client to the caller and reports a failed ROLLBACK', async () => {
    const client = await pool.connect();
    const rollbackErrors: unknown[] = [];
    try {
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      client.on('error', () => undefined); // the terminated session reports its end here
      await expect(
        withTransaction(
          client,
          async (c) => {
            // The session dies mid-transaction: the statement fails, and so does ROLLBACK.
            await pool.query('SELECT pg_terminate_backend($1)', [pid]);
            await c.query('SELECT 1');
          },
          { onRollbackError: (err) => rollbackErrors.push(err) },
        ),
      ).rejects.toBeDefined();
      expect(rollbackErrors).toHaveLength(1);
    } finally {
      client.release(true);
    }
  });
});
