import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Metrics } from '@sdl/metrics';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { FakePublisher } from '../support/fake-publisher.js';
import { buildTestApp, dbReads } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

interface Body {
  [key: string]: unknown;
}

// Posts, view counters, subscriptions, account update/delete, caching modes and the OpenAPI
// document against two real Postgres shards and a real Redis. Steps build on each other.
describe('domain API v1 against two Postgres shards and Redis', () => {
  let app: FastifyInstance;
  let metrics: Metrics;
  let redis: Redis;
  let db: readonly pg.Pool[] = [];
  let stack: ShardedStack | undefined;
  const publisher = new FakePublisher();
  const router = createShardRouter(2);
  let env: Record<string, string>;
  let accountId = '';
  const postIds: string[] = [];

  beforeAll(async () => {
    stack = await startShardedStack();
    ({ db, redis } = stack);
    env = {
      ...stack.env,
      OUTBOX_POLL_MS: '20',
      VIEWS_FLUSH_MS: '50',
    };
    ({ app, metrics } = await buildTestApp(env, { publisher }));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Body }) });
  const shardOf = (id: string) => router.route(id).shard;
  const outbox = async (aggregateId: string) =>
    (
      await db[shardOf(accountId)]!.query<{ event_type: string }>(
        'SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY id',
        [aggregateId],
      )
    ).rows.map((r) => r.event_type);

  it('updates an account (PATCH), writing through to the cache with an outbox event', async () => {
    const created = await call('POST', '/v1/accounts', { email: 'bo@example.com', name: 'Bo' });
    accountId = created.json<Body>().id as string;
    const res = await call('PATCH', `/v1/accounts/${accountId}`, { name: 'Bo Two' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: accountId, email: 'bo@example.com', name: 'Bo Two' });
    expect(res.headers).toMatchObject({ 'x-shard': String(shardOf(accountId)), 'x-cache-mode': 'write-through' });
    expect(JSON.parse((await redis.get(`account:${accountId}`))!)).toMatchObject({ name: 'Bo Two' });
    expect(await outbox(accountId)).toEqual(['account.created', 'account.updated']);

    expect((await call('PATCH', `/v1/accounts/${accountId}`, {})).json()).toMatchObject({ code: 'ERR_VALIDATION' });
    expect((await call('PATCH', `/v1/accounts/${accountId}`, { id: 'x' })).json()).toMatchObject({
      code: 'ERR_VALIDATION',
    });
    const missing = await call('PATCH', '/v1/accounts/acc_00000000000000000000000000', { name: 'x' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'API_ERR_ACCOUNT_NOT_FOUND' });
  });

  it('creates posts on the account shard, write-around (no cache entry), with outbox events', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', `/v1/accounts/${accountId}/posts`, {
        title: `Post ${i}`,
        body: 'line one\nline two',
      });
      expect(res.statusCode).toBe(201);
      const post = res.json<Body>();
      expect(post).toMatchObject({ accountId, title: `Post ${i}` });
      expect(res.headers).toMatchObject({
        'x-shard': String(shardOf(accountId)),
        'x-cache': 'bypass',
        'x-cache-mode': 'write-around',
      });
      expect(res.headers.location).toBe(`/v1/accounts/${accountId}/posts/${post.id as string}`);
      expect(await redis.exists(`post:${accountId}:${post.id as string}`)).toBe(0);
      postIds.push(post.id as string);
    }
    const other = await db[1 - shardOf(accountId)]!.query('SELECT count(*)::int AS n FROM posts');
    expect(other.rows[0].n).toBe(0);
    expect(await outbox(postIds[0]!)).toEqual(['post.created']);
    await vi.waitFor(
      () => expect(publisher.sent.filter((e) => e.topic === 'posts.events').length).toBeGreaterThanOrEqual(5),
      {
        timeout: 5000,
      },
    );
    expect(publisher.sent.find((e) => e.key === accountId)?.topic).toBe('accounts.events');

    const unknown = await call('POST', '/v1/accounts/acc_00000000000000000000000000/posts', { title: 't', body: '' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'API_ERR_ACCOUNT_NOT_FOUND' });
    const extra = await call('POST', `/v1/accounts/${accountId}/posts`, { title: 't', body: '', views: 5 });
    expect(extra.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('reads a post through the cache: miss, then hit', async () => {
    const url = `/v1/accounts/${accountId}/posts/${postIds[0]!}`;
    const miss = await call('GET', url);
    expect(miss.statusCode).toBe(200);
    expect(miss.headers['x-cache']).toBe('miss');
    const hit = await call('GET', url);
    expect(hit.headers['x-cache']).toBe('hit');
    expect(hit.json()).toEqual(miss.json());
  });

  it('negatively caches a missing post for a short TTL', async () => {
    const url = `/v1/accounts/${accountId}/posts/pst_00000000000000000000000000`;
    const first = await call('GET', url);
    expect(first.statusCode).toBe(404);
    expect(first.json()).toMatchObject({ code: 'API_ERR_POST_NOT_FOUND' });
    expect(first.headers['x-cache']).toBe('miss');
    const second = await call('GET', url);
    expect(second.statusCode).toBe(404);
    expect(second.headers['x-cache']).toBe('hit');
    const ttl = await redis.ttl(`post:${accountId}:pst_00000000000000000000000000`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5);
  });

  it('collapses 50 concurrent misses on one key into one database read (single-flight)', async () => {
    const id = postIds[1]!;
    const shard = String(shardOf(accountId));
    const before = await dbReads(metrics, shard, 'post_get');
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call('GET', `/v1/accounts/${accountId}/posts/${id}`)),
    );
    expect(answers.every((r) => r.statusCode === 200)).toBe(true);
    expect((await dbReads(metrics, shard, 'post_get')) - before).toBe(1);
  });

  it('lists an account posts newest first with an opaque cursor, limit 1..100', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/accounts/${accountId}/posts?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await call('GET', url);
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: { id: string }[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...postIds].reverse());

    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'cursor=bm9wZQ', 'sort=id']) {
      const res = await call('GET', `/v1/accounts/${accountId}/posts?${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json<{ code: string }>().code, bad).toMatch(/^(ERR_VALIDATION|API_ERR_INVALID_CURSOR)$/);
    }
    const none = await call('GET', '/v1/accounts/acc_00000000000000000000000000/posts');
    expect(none.statusCode).toBe(404);
  });

  it('counts views write-back: Redis first, Postgres after the flush interval', async () => {
    const id = postIds[2]!;
    const url = `/v1/accounts/${accountId}/posts/${id}/views`;
    for (let i = 0; i < 10; i++) {
      const res = await call('POST', url);
      expect(res.statusCode).toBe(204);
      expect(res.headers['x-cache-mode']).toBe('write-back');
    }
    // A read that overlaps a flush can briefly miss the batch in flight (documented staleness).
    await vi.waitFor(async () => expect((await call('GET', url)).json()).toEqual({ postId: id, views: 10 }));
    await vi.waitFor(
      async () => {
        const { rows } = await db[shardOf(accountId)]!.query('SELECT view_count FROM posts WHERE id = $1', [id]);
        expect(Number(rows[0].view_count)).toBe(10);
      },
      { timeout: 5000 },
    );
    expect((await call('GET', url)).json()).toEqual({ postId: id, views: 10 });
    expect(await outbox(id)).toContain('post.views_added');
    expect(
      (await call('POST', `/v1/accounts/${accountId}/posts/pst_00000000000000000000000001/views`)).statusCode,
    ).toBe(404);
  });

  it('flushes pending views at shutdown, and sends increments straight to Postgres when Redis is down', async () => {
    const id = postIds[3]!;
    const url = `/v1/accounts/${accountId}/posts/${id}/views`;
    const viewsOf = async () =>
      Number(
        (await db[shardOf(accountId)]!.query('SELECT view_count FROM posts WHERE id = $1', [id])).rows[0].view_count,
      );

    const slow = (await buildTestApp({ ...env, NODE_ID: 'api-slow', VIEWS_FLUSH_MS: '600000' })).app;
    await slow.ready();
    await app.close(); // the shared app's flusher must not take these increments
    for (let i = 0; i < 3; i++) expect((await slow.inject({ method: 'POST', url })).statusCode).toBe(204);
    expect(await viewsOf()).toBe(0);
    await slow.close();
    expect(await viewsOf()).toBe(3);

    const noRedis = (await buildTestApp({ ...env, REDIS_CACHE_URL: 'redis://127.0.0.1:1' })).app;
    try {
      await noRedis.ready();
      const res = await noRedis.inject({ method: 'POST', url });
      expect(res.statusCode).toBe(204);
      expect(res.headers['x-cache']).toBe('bypass');
      expect(await viewsOf()).toBe(4);
      expect((await noRedis.inject({ method: 'GET', url })).json()).toEqual({ postId: id, views: 4 });
    } finally {
      await noRedis.close();
    }
    ({ app, metrics } = await buildTestApp(env, { publisher }));
    await app.ready();
  });

  it('chooses a plan, refuses a second active one (409) and unknown plans (422), lists its charges, cancels', async () => {
    expect((await call('GET', '/v1/plans')).json<{ items: unknown[] }>().items.length).toBeGreaterThan(0);
    const base = `/v1/accounts/${accountId}/subscriptions`;
    const res = await call('POST', base, { plan: 'pro' });
    expect(res.statusCode).toBe(201);
    const sub = res.json<Body>();
    expect(sub).toMatchObject({ accountId, plan: 'pro', status: 'active', amountCents: 1500, canceledAt: null });
    expect(typeof sub.nextBillingAt).toBe('string');
    const { rows } = await db[shardOf(accountId)]!.query('SELECT next_billing_at FROM subscriptions WHERE id = $1', [
      sub.id,
    ]);
    expect(rows[0].next_billing_at).toBeInstanceOf(Date);

    const again = await call('POST', base, { plan: 'basic' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'API_ERR_SUBSCRIPTION_EXISTS' });
    const unknown = await call('POST', base, { plan: 'platinum' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'API_ERR_UNKNOWN_PLAN' });

    expect((await call('GET', `${base}/${sub.id as string}`)).json()).toEqual(sub);
    const chargesUrl = `${base}/${sub.id as string}/charges`;
    const none = await call('GET', chargesUrl);
    expect(none.json()).toEqual({ items: [] });
    expect(none.headers['x-fence']).toBeUndefined();
    // The rows billing-leader writes (services/billing-leader/src/billing/charge-rows.ts): the first
    // period, due at creation, settled by the leader with token 42; the next one still pending under 43.
    const shardDb = db[shardOf(accountId)]!;
    for (const [n, status, token, providerId] of [
      [0, 'succeeded', 42, 'ch_first'],
      [1, 'pending', 43, null],
    ] as const) {
      await shardDb.query(
        `INSERT INTO charges (id, subscription_id, account_id, partition, period_start, period_end, amount_cents, currency,
                              status, token, idempotency_key, provider_charge_id, updated_at)
         SELECT 'chg_' || $2::int, id, account_id, partition, next_billing_at + make_interval(months => $2::int),
                next_billing_at + make_interval(months => $2::int + 1), amount_cents, currency, $3, $4, 'sub:' || id || ':' || $2,
                $5, now() + make_interval(secs => $2::int)
           FROM subscriptions WHERE id = $1`,
        [sub.id, n, status, token, providerId],
      );
    }
    const listed = await call('GET', chargesUrl);
    expect(listed.statusCode).toBe(200);
    expect(listed.headers['x-fence']).toBe('43');
    const items = listed.json<{ items: Body[] }>().items;
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      id: 'chg_0',
      subscriptionId: sub.id,
      periodStart: sub.nextBillingAt,
      amountCents: 1500,
      status: 'succeeded',
      token: '42',
      providerChargeId: 'ch_first',
      failureCode: null,
    });
    expect(items[1]).toMatchObject({
      status: 'pending',
      token: '43',
      providerChargeId: null,
      periodStart: items[0]!.periodEnd,
    });

    const canceled = await call('POST', `${base}/${sub.id as string}/cancel`);
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: 'canceled', nextBillingAt: null });
    const twice = await call('POST', `${base}/${sub.id as string}/cancel`);
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'API_ERR_SUBSCRIPTION_CANCELED' });
    expect((await call('POST', base, { plan: 'basic' })).statusCode).toBe(201);
    expect(await outbox(sub.id as string)).toEqual(['subscription.created', 'subscription.canceled']);
    await vi.waitFor(() => expect(publisher.sent.some((e) => e.topic === 'subscriptions.events')).toBe(true), {
      timeout: 5000,
    });

    const missing = await call('GET', `${base}/sub_00000000000000000000000000/charges`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'API_ERR_SUBSCRIPTION_NOT_FOUND' });
  });

  it('switches the cache mode per entity (ACCOUNTS_CACHE_MODE, POSTS_CACHE_MODE)', async () => {
    const other = (
      await buildTestApp({ ...env, ACCOUNTS_CACHE_MODE: 'write-around', POSTS_CACHE_MODE: 'off', VIEWS_MODE: 'off' })
    ).app;
    try {
      await other.ready();
      await redis.set(`account:${accountId}`, 'stale');
      const patched = await other.inject({
        method: 'PATCH',
        url: `/v1/accounts/${accountId}`,
        payload: { name: 'Bo Three' },
      });
      expect(patched.headers['x-cache-mode']).toBe('write-around');
      expect(await redis.exists(`account:${accountId}`)).toBe(0);
      const url = `/v1/accounts/${accountId}/posts/${postIds[4]!}`;
      for (let i = 0; i < 2; i++) {
        const res = await other.inject({ method: 'GET', url });
        expect(res.headers).toMatchObject({ 'x-cache': 'bypass', 'x-cache-mode': 'off' });
      }
      const view = await other.inject({ method: 'POST', url: `${url}/views` });
      expect(view.headers).toMatchObject({ 'x-cache': 'bypass', 'x-cache-mode': 'off' });
    } finally {
      await other.close();
    }
  });

  it('deletes an account with its posts and subscriptions (cascade), then answers 404 from the negative cache', async () => {
    const res = await call('DELETE', `/v1/accounts/${accountId}`);
    expect(res.statusCode).toBe(204);
    const shard = db[shardOf(accountId)]!;
    expect((await shard.query('SELECT 1 FROM posts WHERE account_id = $1', [accountId])).rowCount).toBe(0);
    expect((await shard.query('SELECT 1 FROM subscriptions WHERE account_id = $1', [accountId])).rowCount).toBe(0);
    expect(await outbox(accountId)).toEqual([
      'account.created',
      'account.updated',
      'account.updated',
      'account.deleted',
    ]);
    const gone = await call('GET', `/v1/accounts/${accountId}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['x-cache']).toBe('hit');
    expect((await call('DELETE', `/v1/accounts/${accountId}`)).statusCode).toBe(404);
  });
});
