import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakePublisher } from '../support/fake-publisher.js';
import { buildTestApp } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

// The relay woken by LISTEN/NOTIFY (009_outbox_notify.sql) against two real shards: with its poll
// set to ten minutes, only a notification can make it publish a new row.
describe('outbox relay woken by Postgres on commit', () => {
  let stack: ShardedStack | undefined;
  let app: FastifyInstance;
  let db: readonly pg.Pool[] = [];
  const publisher = new FakePublisher();

  const create = async (email: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/v1/accounts', payload: { email, name: 'N' } });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const published = (id: string) => publisher.sent.map((e) => e.key).includes(id);

  beforeAll(async () => {
    stack = await startShardedStack();
    ({ db } = stack);
    ({ app } = await buildTestApp({ ...stack.env, OUTBOX_POLL_MS: '600000' }, { publisher }));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  it('publishes a committed row without waiting for the poll', async () => {
    // The first tick at start has run; from now on only a NOTIFY wakes the relay.
    for (const email of ['a@notify.test', 'b@notify.test', 'c@notify.test']) {
      const id = await create(email);
      await vi.waitFor(() => expect(published(id)).toBe(true), { timeout: 10_000, interval: 20 });
    }
  });

  it('listens again after its connection is killed, and catches up with what it missed', async () => {
    const killed = await Promise.all(
      db.map((pool) =>
        pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sdl-api-listen'`),
      ),
    );
    expect(killed.reduce((n, r) => n + (r.rowCount ?? 0), 0)).toBe(2);
    const ids = [await create('d@notify.test'), await create('e@notify.test')];
    await vi.waitFor(() => expect(ids.every(published)).toBe(true), { timeout: 15_000, interval: 50 });
    await vi.waitFor(async () => {
      const listening = await Promise.all(
        db.map((pool) => pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'sdl-api-listen'`)),
      );
      expect(listening.map((r) => r.rowCount)).toEqual([1, 1]);
    });
  });
});
