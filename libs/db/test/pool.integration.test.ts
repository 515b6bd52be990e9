import { startPostgres, type Started } from '@sdl/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShardPool } from '../src/index.js';

// The server ends a session left idle inside a transaction longer than this.
const statementTimeoutMs = 300;

describe('createShardPool against a real Postgres', () => {
  let server: Started;
  let pool: pg.Pool;
  const reported: Error[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    pool = createShardPool({
      url: server.url,
      max: 2,
      connectTimeoutMs: 5000,
      statementTimeoutMs,
      idleInTransactionFactor: 1,
      applicationName: 'sdl-pool-test',
      onConnectionError: (err) => reported.push(err),
    });
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  });

  it('survives the server ending a checked-out connection: reported, next query rejects, pool recovers', async () => {
    // The billing leader's game-day crash: paused inside a transaction, its session ended by the
    // server's idle_in_transaction_session_timeout, then an 'error' on the checked-out client that
    // nothing heard (an uncaught exception, which vitest would report as an error of this file).
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query('SELECT 1');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await ended;
    expect(reported.map((err) => err.message).join(' | ')).toMatch(/idle-in-transaction|terminat/i);
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminated/i);
    client.release(new Error('connection ended'));
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  });

  it('reports an idle client whose session the server ended, once', async () => {
    const before = reported.length;
    const [client, admin] = [await pool.connect(), await pool.connect()];
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.release();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    admin.release();
    await ended;
    expect(reported.length).toBe(before + 1);
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  });
});
