import type { Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Metrics } from '@sdl/metrics';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { FakePublisher } from '../support/fake-publisher.js';
import { buildTestApp, idOnShard, metricValue } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

interface Created {
  id: string;
  shard: number;
  partition: number;
}

// Two real Postgres shards and a real Redis; the test steps build on each other (the last two
// stop Redis and then shard 1), so they run in order.
describe('accounts against two Postgres shards and Redis', () => {
  let pg0: Started;
  let pg1: Started;
  let redisServer: Started;
  let app: FastifyInstance;
  let metrics: Metrics;
  let redis: Redis;
  let db: readonly pg.Pool[] = [];
  let stack: ShardedStack | undefined;
  const publisher = new FakePublisher();
  const router = createShardRouter(2);
  const created: Created[] = [];

  beforeAll(async () => {
    stack = await startShardedStack();
    ({ pg0, pg1, redisServer, db, redis } = stack);
    ({ app, metrics } = await buildTestApp(
      {
        ...stack.env,
        PG_CONNECT_TIMEOUT_MS: '1000',
        OUTBOX_POLL_MS: '20',
      },
      { publisher },
    ));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  const create = (email: string, name: string) =>
    app.inject({ method: 'POST', url: '/v1/accounts', payload: { email, name } });
  const get = (id: string) => app.inject({ method: 'GET', url: `/v1/accounts/${id}` });

  it('creates an account on exactly the shard its id hashes to, with its outbox event', async () => {
    const res = await create('ann@example.com', 'Ann');
    expect(res.statusCode).toBe(201);
    const body = res.json<{ id: string; email: string; name: string; createdAt: string }>();
    expect(body).toMatchObject({ email: 'ann@example.com', name: 'Ann' });
    const route = router.route(body.id);
    expect(res.headers).toMatchObject({
      'x-shard': String(route.shard),
      'x-partition': String(route.partition),
      'x-cache': 'bypass',
      location: `/v1/accounts/${body.id}`,
    });

    const own = await db[route.shard]!.query('SELECT partition FROM accounts WHERE id = $1', [body.id]);
    const other = await db[1 - route.shard]!.query('SELECT 1 FROM accounts WHERE id = $1', [body.id]);
    expect(own.rows).toEqual([{ partition: route.partition }]);
    expect(other.rowCount).toBe(0);

    const outbox = await db[route.shard]!.query(
      'SELECT aggregate_type, event_type, payload FROM outbox WHERE aggregate_id = $1',
      [body.id],
    );
    expect(outbox.rows).toEqual([{ aggregate_type: 'account', event_type: 'account.created', payload: body }]);
    created.push({ id: body.id, ...route });
  });

  it('spreads new accounts over both shards', async () => {
    while (new Set(created.map((c) => c.shard)).size < 2) {
      const res = await create(`u${created.length}@example.com`, `User ${created.length}`);
      expect(res.statusCode).toBe(201);
      created.push({ id: res.json<{ id: string }>().id, shard: Number(res.headers['x-shard']), partition: 0 });
    }
  });

  it('is ready with both shards up and reports Redis separately', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ checks: { 'shard-0': 'ok', 'shard-1': 'ok' }, optional: { redis: 'ok' } });
  });

  it('writes through to Redis with the TTL', async () => {
    const { id } = created[0]!;
    expect(JSON.parse((await redis.get(`account:${id}`))!)).toMatchObject({ id, name: 'Ann' });
    const ttl = await redis.ttl(`account:${id}`);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it('reads a miss from the shard, then hits the cache', async () => {
    const { id, shard } = created[0]!;
    await redis.del(`account:${id}`);
    const miss = await get(id);
    expect(miss.statusCode).toBe(200);
    expect(miss.headers).toMatchObject({ 'x-cache': 'miss', 'x-shard': String(shard) });
    const hit = await get(id);
    expect(hit.headers['x-cache']).toBe('hit');
    expect(hit.json()).toEqual(miss.json());
    expect(
      await metricValue(metrics, 'api_cache_requests_total', { entity: 'account', result: 'hit' }),
    ).toBeGreaterThan(0);
    expect(
      await metricValue(metrics, 'api_cache_requests_total', { entity: 'account', result: 'miss' }),
    ).toBeGreaterThan(0);
    // Server-Timing says where each answer's time went: a miss read the database, a hit did not.
    const names = (res: { headers: Record<string, unknown> }) =>
      String(res.headers['server-timing'])
        .split(', ')
        .map((entry) => entry.split(';')[0]);
    expect(names(miss)).toEqual(['api-cache', 'api-db', 'api-ser', 'api']);
    expect(names(hit)).toEqual(['api-cache', 'api-ser', 'api']);
  });

  it('answers 404 for a well-formed id that does not exist', async () => {
    const res = await get(idOnShard(0));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'API_ERR_ACCOUNT_NOT_FOUND' });
  });

  it('writes the account and its event atomically, and hides SQL errors', async () => {
    const breakOutbox = `
      CREATE OR REPLACE FUNCTION refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'outbox refused by test'; END $$;
      CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_outbox();`;
    const count = async () =>
      Promise.all(
        db.map(async (pool) => (await pool.query('SELECT count(*)::int AS n FROM accounts')).rows[0].n as number),
      );
    await Promise.all(db.map((pool) => pool.query(breakOutbox)));
    try {
      const before = await count();
      const res = await create('bob@example.com', 'Bob');
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ code: 'ERR_INTERNAL' });
      expect(res.body).not.toContain('outbox refused');
      expect(await count()).toEqual(before);
    } finally {
      await Promise.all(db.map((pool) => pool.query('DROP TRIGGER refuse_outbox ON outbox')));
    }
  });

  it('relays every outbox event to the publisher and marks it published', async () => {
    await vi.waitFor(
      () => {
        for (const { id } of created) expect(publisher.sent.map((e) => e.key)).toContain(id);
      },
      { timeout: 10_000, interval: 50 },
    );
    const event = publisher.sent.find((e) => e.key === created[0]!.id)!;
    expect(event.topic).toBe('accounts.events');
    const value = JSON.parse(event.value) as Record<string, unknown>;
    expect(value).toMatchObject({ type: 'account.created', aggregateType: 'account', aggregateId: created[0]!.id });
    expect(event.headers?.['event-id']).toBe(value.eventId);
    await vi.waitFor(async () => {
      for (const pool of db) {
        expect((await pool.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0].n).toBe(
          0,
        );
      }
    });
  });

  it('keeps events unpublished while publishing fails and relays them afterwards', async () => {
    publisher.failing = true;
    const errorsBefore = await metricValue(metrics, 'api_outbox_errors_total');
    const res = await create('carol@example.com', 'Carol');
    const { id } = res.json<{ id: string }>();
    const shard = Number(res.headers['x-shard']);
    await vi.waitFor(async () => {
      expect(await metricValue(metrics, 'api_outbox_errors_total', { shard: String(shard) })).toBeGreaterThan(
        errorsBefore,
      );
    });
    const pending = await db[shard]!.query('SELECT published_at FROM outbox WHERE aggregate_id = $1', [id]);
    expect(pending.rows).toEqual([{ published_at: null }]);
    publisher.failing = false;
    await vi.waitFor(() => expect(publisher.sent.map((e) => e.key)).toContain(id), { timeout: 10_000 });
    await vi.waitFor(async () => {
      const done = await db[shard]!.query('SELECT published_at FROM outbox WHERE aggregate_id = $1', [id]);
      expect(done.rows[0].published_at).not.toBeNull();
    });
    created.push({ id, shard, partition: router.route(id).partition });
  });

  it('finishes the relay tick in progress when the app closes', async () => {
    // The main app's relays keep failing (and backing off) so a second node's relay takes the row.
    publisher.failing = true;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const blocking = new FakePublisher();
    const publish = blocking.publish.bind(blocking);
    let calls = 0;
    blocking.publish = async (topic, events) => {
      calls++;
      await gate;
      await publish(topic, events);
    };
    const second = await buildTestApp(
      { SHARD_PRIMARIES: `${pg0.url},${pg1.url}`, OUTBOX_POLL_MS: '20', NODE_ID: 'api-second' },
      { publisher: blocking },
    );
    await second.app.ready();
    try {
      const res = await create('frank@example.com', 'Frank');
      const { id } = res.json<{ id: string }>();
      await vi.waitFor(() => expect(blocking.sent.length + calls).toBeGreaterThan(0), { timeout: 10_000 });

      let closed = false;
      const closing = second.app.close().then(() => (closed = true));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(closed).toBe(false);
      release();
      await closing;
      expect(blocking.sent.map((e) => e.key)).toContain(id);
      const row = await db[Number(res.headers['x-shard'])]!.query(
        'SELECT published_at FROM outbox WHERE aggregate_id = $1',
        [id],
      );
      expect(row.rows[0].published_at).not.toBeNull();
    } finally {
      release();
      publisher.failing = false;
      await second.app.close();
    }
  });

  it('serves without Redis: creates and reads bypass the cache', async () => {
    await redisServer.stop();
    const degradedBefore = await metricValue(metrics, 'api_cache_degraded_total', { op: 'write_through' });
    const res = await create('dan@example.com', 'Dan');
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-cache']).toBe('bypass');
    const { id } = res.json<{ id: string }>();
    const fresh = await get(id);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['x-cache']).toBe('bypass');
    const cachedBefore = await get(created[0]!.id);
    expect(cachedBefore.statusCode).toBe(200);
    expect(cachedBefore.headers['x-cache']).toBe('bypass');
    expect(await metricValue(metrics, 'api_cache_degraded_total', { op: 'write_through' })).toBeGreaterThan(
      degradedBefore,
    );
    expect(
      await metricValue(metrics, 'api_cache_requests_total', { entity: 'account', result: 'bypass' }),
    ).toBeGreaterThan(0);

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json<{ optional: { redis: string } }>().optional.redis).not.toBe('ok');
  });

  it('answers 503 for a stopped shard while the other shard keeps serving', async () => {
    await pg1.stop();
    const onShard1 = created.find((c) => c.shard === 1)!;
    const onShard0 = created.find((c) => c.shard === 0)!;

    // Refused connections answer at once (how fast: bench/degraded/fail-fast.ts), with the retriable code.
    const down = await get(onShard1.id);
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE', retriable: true });

    const up = await get(onShard0.id);
    expect(up.statusCode).toBe(200);
    expect(up.headers['x-shard']).toBe('0');

    // New ids land on either shard: shard 0 still takes writes, shard 1 refuses cleanly.
    let wroteShard0 = false;
    for (let i = 0; i < 20 && !wroteShard0; i++) {
      const res = await create(`e${i}@example.com`, 'Eve');
      if (res.statusCode === 201) {
        expect(res.headers['x-shard']).toBe('0');
        wroteShard0 = true;
      } else {
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE' });
      }
    }
    expect(wroteShard0).toBe(true);

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json<{ checks: Record<string, string> }>().checks).toMatchObject({ 'shard-0': 'ok' });
  });
});
