import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountId } from '../../src/domain/ids.js';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { buildTestApp } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

type Body = Record<string, unknown>;

const SECRET = 'tenants-test-shared-secret';
const ALPHA = { 'x-gateway-secret': SECRET, 'x-tenant-id': 'alpha' };
const BRAVO = { 'x-gateway-secret': SECRET, 'x-tenant-id': 'bravo' };

// Valid bodies, so that a request passes schema validation and meets the owner check; a new
// account-scoped route with a body needs its line here (the sweep fails on its 400 otherwise).
const BODIES: Record<string, Body> = {
  'PATCH /v1/accounts/{id}': { name: 'Mallory' },
  'POST /v1/accounts/{accountId}/posts': { title: 'stolen', body: 'x' },
  'POST /v1/accounts/{accountId}/subscriptions': { plan: 'basic' },
};

// Tenants (OWASP API1) against two real shards and Redis, with an L1 in front of it: every
// account-scoped route (read from the api's own OpenAPI document, so a new route is swept too)
// answers another tenant exactly as it answers a missing account, and changes nothing.
describe('tenants cannot see or touch each other', () => {
  let stack: ShardedStack | undefined;
  let app: FastifyInstance;
  let db: readonly pg.Pool[] = [];
  let redis: Redis;
  const ids = { id: '', accountId: '', postId: '', subscriptionId: '' };
  const router = createShardRouter(2);

  const call = (method: string, url: string, headers: Record<string, string>, payload?: Body) =>
    app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) } as InjectOptions);

  beforeAll(async () => {
    stack = await startShardedStack();
    ({ db, redis } = stack);
    ({ app } = await buildTestApp({ ...stack.env, GATEWAY_SECRET: SECRET, CACHE_L1_ENTRIES: '100' }));
    await app.ready();
    const account = await call('POST', '/v1/accounts', ALPHA, { email: 'alice@alpha.test', name: 'Alice' });
    expect(account.statusCode).toBe(201);
    ids.id = ids.accountId = account.json<Body>().id as string;
    const post = await call('POST', `/v1/accounts/${ids.id}/posts`, ALPHA, { title: 'Alpha secret', body: 'a' });
    ids.postId = post.json<Body>().id as string;
    const sub = await call('POST', `/v1/accounts/${ids.id}/subscriptions`, ALPHA, { plan: 'basic' });
    ids.subscriptionId = sub.json<Body>().id as string;
    expect([post.statusCode, sub.statusCode]).toEqual([201, 201]);
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  /** Every table's content on both shards: what "A unchanged" compares. */
  const snapshot = () =>
    Promise.all(
      db.map(async (pool) => {
        const tables = ['accounts', 'posts', 'subscriptions', 'charges', 'outbox'];
        const parts = tables.map((t) => `(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM ${t} t)`);
        return (await pool.query(`SELECT ${parts.join(', ')}`)).rows[0] as unknown;
      }),
    );

  it('stores the creating tenant as the owner', async () => {
    const res = await call('GET', `/v1/accounts/${ids.id}`, ALPHA);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ids.id, tenant: 'alpha', email: 'alice@alpha.test' });
    const shard = router.route(ids.id).shard;
    const { rows } = await db[shard]!.query('SELECT tenant FROM accounts WHERE id = $1', [ids.id]);
    expect(rows).toEqual([{ tenant: 'alpha' }]);
  });

  it('answers every account-scoped route and method of another tenant 404, as for a missing account', async () => {
    const doc = (await call('GET', '/v1/openapi.json', ALPHA)).json<{ paths: Record<string, Body> }>();
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/accounts/{'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const before = await snapshot();
    const missing = createAccountId();
    for (const { method, path } of routes) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: keyof typeof ids) => ids[name]);
      const body = BODIES[`${method} ${path}`];
      const res = await call(method, url, BRAVO, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      const problem = res.json<Body>();
      expect(problem).toMatchObject({ code: 'API_ERR_ACCOUNT_NOT_FOUND', details: { id: ids.id } });
      for (const secret of ['alice@alpha.test', 'Alice', 'Alpha secret', ids.postId, ids.subscriptionId, 'alpha']) {
        expect(res.body, `${method} ${url}`).not.toContain(secret);
      }
      // The same answer as for an account that does not exist (bar the request id and the id echoed).
      const real = await call(method, url.replace(ids.id, missing), BRAVO, body);
      const normalize = (text: string, id: string) =>
        JSON.parse(text.replaceAll(id, 'ID')) as { requestId?: string; instance?: string };
      const [a, b] = [normalize(res.body, ids.id), normalize(real.body, missing)];
      expect({ ...a, requestId: 'x', instance: 'x' }).toEqual({ ...b, requestId: 'x', instance: 'x' });
      expect(real.statusCode).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
    const own = await call('GET', `/v1/accounts/${ids.id}`, ALPHA);
    expect(own.json()).toMatchObject({ name: 'Alice', email: 'alice@alpha.test' });
  });

  it('checks the owner of a cached account too (Redis and L1)', async () => {
    expect((await call('GET', `/v1/accounts/${ids.id}`, ALPHA)).statusCode).toBe(200);
    const res = await call('GET', `/v1/accounts/${ids.id}`, BRAVO);
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-cache']).toBe('hit');
    // An entry cached before owners existed is unreadable: the database answers, with the owner.
    const stale = createAccountId();
    const shard = router.route(stale);
    await db[shard.shard]!.query(
      "INSERT INTO accounts (id, email, name, partition) VALUES ($1, 'old@lab.test', 'Old', $2)",
      [stale, shard.partition],
    );
    await redis.set(
      `account:${stale}`,
      JSON.stringify({ id: stale, email: 'old@lab.test', name: 'Old', createdAt: 'x', updatedAt: 'x' }),
    );
    expect((await call('GET', `/v1/accounts/${stale}`, BRAVO)).statusCode).toBe(404);
    // Rows from before tenants belong to `default`: the tenant of callers that name none.
    const legacy = await call('GET', `/v1/accounts/${stale}`, { 'x-gateway-secret': SECRET });
    expect(legacy.statusCode).toBe(200);
    expect(legacy.json()).toMatchObject({ tenant: 'default', email: 'old@lab.test' });
  });

  it('refuses callers without the gateway secret before anything else, and keeps the probes open', async () => {
    const strangers: Record<string, string>[] = [{}, { 'x-gateway-secret': 'wrong' }, { 'x-tenant-id': 'alpha' }];
    for (const headers of strangers) {
      for (const url of ['/v1/whoami', `/v1/accounts/${ids.id}`, '/v1/nothing']) {
        const res = await call('GET', url, headers);
        expect(res.statusCode, url).toBe(401);
        expect(res.json()).toMatchObject({ code: 'API_ERR_NOT_FROM_GATEWAY' });
      }
    }
    const before = await snapshot();
    const create = await call('POST', '/v1/accounts', { 'x-tenant-id': 'alpha' }, { email: 'x@y.z', name: 'X' });
    expect(create.statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await call('GET', url, {})).statusCode).toBe(200);
  });

  it('answers a malformed tenant header 400 API_ERR_INVALID_TENANT', async () => {
    for (const tenant of ['', 'a b', 'x'.repeat(65), 'alpha,bravo']) {
      const res = await call('GET', '/v1/whoami', { 'x-gateway-secret': SECRET, 'x-tenant-id': tenant });
      expect(res.statusCode, tenant).toBe(400);
      expect(res.json()).toMatchObject({ code: 'API_ERR_INVALID_TENANT' });
    }
  });
});
