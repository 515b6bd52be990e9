import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

type Body = Record<string, unknown>;

const SECRET = 'idempotency-test-shared-secret';
const tenant = (id: string) => ({ 'x-gateway-secret': SECRET, 'x-tenant-id': id });

// Idempotent creates (Idempotency-Key on POST) against two real Postgres shards and Redis: a
// retried POST answers the first try's row and writes nothing new, whichever try comes first.
describe('POST with an Idempotency-Key', () => {
  let stack: ShardedStack | undefined;
  let app: FastifyInstance;
  let db: readonly pg.Pool[] = [];

  const post = (url: string, payload: Body, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url, payload, headers });

  /** Rows and outbox events with this id, summed over both shards. */
  async function counts(table: string, id: string): Promise<{ rows: number; events: number }> {
    let rows = 0;
    let events = 0;
    for (const pool of db) {
      rows += (await pool.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).rowCount ?? 0;
      events += (await pool.query('SELECT 1 FROM outbox WHERE aggregate_id = $1', [id])).rowCount ?? 0;
    }
    return { rows, events };
  }

  beforeAll(async () => {
    stack = await startShardedStack();
    ({ db } = stack);
    ({ app } = await buildTestApp({ ...stack.env, GATEWAY_SECRET: SECRET }));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  it('answers a retried account create with the first answer and creates nothing new', async () => {
    const headers = { ...tenant('alpha'), 'idempotency-key': 'signup-1' };
    const first = await post('/v1/accounts', { email: 'ann@alpha.test', name: 'Ann' }, headers);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same fields in another order are the same request.
    const retry = await post('/v1/accounts', { name: 'Ann', email: 'ann@alpha.test' }, headers);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['x-shard']).toBe(first.headers['x-shard']);
    expect(await counts('accounts', first.json<Body>().id as string)).toEqual({ rows: 1, events: 1 });
  });

  it('scopes keys to the tenant: the same key from another tenant makes its own account', async () => {
    const a = await post(
      '/v1/accounts',
      { email: 'a@x.test', name: 'A' },
      { ...tenant('alpha'), 'idempotency-key': 'k-shared' },
    );
    const b = await post(
      '/v1/accounts',
      { email: 'a@x.test', name: 'A' },
      { ...tenant('bravo'), 'idempotency-key': 'k-shared' },
    );
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json<Body>().id).not.toBe(b.json<Body>().id);
    expect(b.json<Body>().tenant).toBe('bravo');
  });

  it('refuses the same key with a different request (422) and malformed keys (400)', async () => {
    const headers = { ...tenant('alpha'), 'idempotency-key': 'signup-2' };
    expect((await post('/v1/accounts', { email: 'bo@alpha.test', name: 'Bo' }, headers)).statusCode).toBe(201);
    const reused = await post('/v1/accounts', { email: 'bo@alpha.test', name: 'Someone else' }, headers);
    expect(reused.statusCode).toBe(422);
    expect(reused.json<Body>().code).toBe('API_ERR_IDEMPOTENCY_KEY_REUSED');
    for (const bad of ['has space', 'x'.repeat(256), 'tab\tin']) {
      const res = await post(
        '/v1/accounts',
        { email: 'c@alpha.test', name: 'C' },
        { ...tenant('alpha'), 'idempotency-key': bad },
      );
      expect(res.statusCode, bad).toBe(400);
      expect(res.json<Body>().code).toBe('API_ERR_INVALID_IDEMPOTENCY_KEY');
    }
  });

  it('lets concurrent twins of one create make exactly one account', async () => {
    const headers = { ...tenant('alpha'), 'idempotency-key': 'burst-1' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/accounts', { email: 'd@alpha.test', name: 'D' }, headers)),
    );
    expect(answers.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    const ids = new Set(answers.map((r) => r.json<Body>().id as string));
    expect(ids.size).toBe(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(await counts('accounts', [...ids][0]!)).toEqual({ rows: 1, events: 1 });
  });

  it('makes post and subscription creates idempotent per account', async () => {
    const owner = tenant('alpha');
    const accounts = await Promise.all(
      ['e', 'f'].map((n) => post('/v1/accounts', { email: `${n}@alpha.test`, name: n }, owner)),
    );
    const [e, f] = accounts.map((r) => r.json<Body>().id as string) as [string, string];
    const headers = { ...owner, 'idempotency-key': 'same-key' };

    const p1 = await post(`/v1/accounts/${e}/posts`, { title: 'T', body: 'B' }, headers);
    const p2 = await post(`/v1/accounts/${e}/posts`, { title: 'T', body: 'B' }, headers);
    const pOther = await post(`/v1/accounts/${f}/posts`, { title: 'T', body: 'B' }, headers);
    expect([p1.statusCode, p2.statusCode, pOther.statusCode]).toEqual([201, 201, 201]);
    expect(p2.json()).toEqual(p1.json());
    expect(p2.headers['idempotent-replayed']).toBe('true');
    expect(pOther.json<Body>().id).not.toBe(p1.json<Body>().id);
    expect(await counts('posts', p1.json<Body>().id as string)).toEqual({ rows: 1, events: 1 });
    const reused = await post(`/v1/accounts/${e}/posts`, { title: 'other', body: 'B' }, headers);
    expect(reused.json<Body>().code).toBe('API_ERR_IDEMPOTENCY_KEY_REUSED');

    const s1 = await post(`/v1/accounts/${e}/subscriptions`, { plan: 'basic' }, headers);
    const s2 = await post(`/v1/accounts/${e}/subscriptions`, { plan: 'basic' }, headers);
    expect([s1.statusCode, s2.statusCode]).toEqual([201, 201]);
    expect(s2.json()).toEqual(s1.json());
    expect(s2.headers['idempotent-replayed']).toBe('true');
    expect(await counts('subscriptions', s1.json<Body>().id as string)).toEqual({ rows: 1, events: 1 });
    // Without a key, a second choice still meets the one-active-subscription rule.
    const again = await post(`/v1/accounts/${e}/subscriptions`, { plan: 'basic' }, owner);
    expect(again.json<Body>().code).toBe('API_ERR_SUBSCRIPTION_EXISTS');
  });
});
