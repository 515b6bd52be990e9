import { startPostgres, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakePublisher } from '../support/fake-publisher.js';
import { buildTestApp, type TestApp } from '../support/helpers.js';

// Two relays on the same shard at once: what a Redlock with two holders leads to (a lock Redis
// restarted without persistence, libs/lock/test/restart-hazard.test.ts), here without any lock.
// FOR UPDATE SKIP LOCKED gives each relay disjoint rows and a committed row is never claimed again,
// so the overlap costs no duplicate (consumers de-duplicate by event id for the crash-before-commit case).
describe('two outbox relays on one shard at the same time (no relay lock)', () => {
  let server: Started | undefined;
  let db: pg.Pool | undefined;
  const nodes: (TestApp & { publisher: FakePublisher })[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    db = new pg.Pool({ connectionString: server.url, max: 1 });
    // Postgres stops at the end while this idle connection may still be open.
    db.on('error', () => undefined);
    for (const nodeId of ['api-a', 'api-b']) {
      const publisher = new FakePublisher();
      // Small batches and a short poll: both relays keep claiming while the rows come in.
      const env = { SHARD_PRIMARIES: server.url, NODE_ID: nodeId, OUTBOX_POLL_MS: '10', OUTBOX_BATCH: '3' };
      const built = await buildTestApp({ ...env, VIEWS_MODE: 'off' }, { publisher });
      await built.app.ready();
      nodes.push({ ...built, publisher });
    }
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    await db?.end();
    await server?.stop();
  });

  const create = (node: TestApp, email: string) =>
    node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { email, name: 'overlap' } });

  it('publishes every event exactly once', async () => {
    // Both nodes migrate the same shard at start; one may retry (503 meanwhile): wait until each writes.
    for (const [n, node] of nodes.entries()) {
      let i = 0;
      await vi.waitFor(async () => expect((await create(node, `warm-${n}-${i++}@example.com`)).statusCode).toBe(201), {
        timeout: 30_000,
        interval: 200,
      });
    }
    // One write per node at a time (a burst would only measure the pool's limits on a busy machine).
    for (let i = 0; i < 30; i++) {
      for (const res of await Promise.all(nodes.map((n, k) => create(n, `overlap-${i}-${k}@example.com`))))
        expect(res.statusCode, res.body).toBe(201);
    }
    const { rows } = await db!.query<{ event_id: string }>('SELECT event_id FROM outbox');
    expect(rows.length).toBeGreaterThanOrEqual(62);
    const published = () => nodes.flatMap((n) => n.publisher.sent.map((e) => e.headers?.['event-id']));
    await vi.waitFor(() => expect(published().length).toBeGreaterThanOrEqual(rows.length), { timeout: 20_000 });
    expect(new Set(published()).size).toBe(published().length);
    expect(published().sort()).toEqual(rows.map((r) => r.event_id).sort());
  });
});
