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

  it('publishes every event exactly once', async () => {
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await nodes[i % 2]!.app.inject({
          method: 'POST',
          url: '/v1/accounts',
          payload: { email: `overlap-${i}@example.com`, name: 'overlap' },
        });
        expect(res.statusCode).toBe(201);
      }),
    );
    const { rows } = await db!.query<{ event_id: string }>('SELECT event_id FROM outbox');
    expect(rows).toHaveLength(60);
    const published = () => nodes.flatMap((n) => n.publisher.sent.map((e) => e.headers?.['event-id']));
    await vi.waitFor(() => expect(published().length).toBeGreaterThanOrEqual(rows.length), { timeout: 20_000 });
    expect(new Set(published()).size).toBe(published().length);
    expect(published().sort()).toEqual(rows.map((r) => r.event_id).sort());
  });
});
