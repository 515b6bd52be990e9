import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountId, createPrefixedId } from '../../src/domain/ids.js';
import { decodeCursor, encodeCursor } from '../../src/domain/posts/post.js';
import { createSingleFlight } from '../../src/cache/single-flight.js';
import { buildTestApp, testConfig, UNREACHABLE_PG } from '../support/helpers.js';

// The v1 domain routes with both shards refusing connections: every malformed parameter or body
// is answered (400 with a code) before any database work; valid requests fail fast with 503.
describe('domain routes without reachable shards', () => {
  let app: FastifyInstance;
  const acc = createAccountId();
  const pst = createPrefixedId('pst');
  const sub = createPrefixedId('sub');

  beforeAll(async () => {
    ({ app } = await buildTestApp({
      SHARD_PRIMARIES: `${UNREACHABLE_PG},${UNREACHABLE_PG}`,
      PG_CONNECT_TIMEOUT_MS: '500',
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['PATCH', `/v1/accounts/${acc}`, {}, 'ERR_VALIDATION'],
    ['PATCH', `/v1/accounts/${acc}`, { name: 'x', role: 'admin' }, 'ERR_VALIDATION'],
    ['PATCH', '/v1/accounts/nope', { name: 'x' }, 'API_ERR_INVALID_ID'],
    ['DELETE', '/v1/accounts/nope', undefined, 'API_ERR_INVALID_ID'],
    ['POST', `/v1/accounts/${acc}/posts`, { title: '', body: '' }, 'ERR_VALIDATION'],
    ['POST', `/v1/accounts/${acc}/posts`, { title: 't', body: 'a\u0000b' }, 'ERR_VALIDATION'],
    ['POST', `/v1/accounts/${acc}/posts`, { title: 't' }, 'ERR_VALIDATION'],
    ['POST', '/v1/accounts/x/posts', { title: 't', body: '' }, 'API_ERR_INVALID_ID'],
    ['GET', `/v1/accounts/${acc}/posts/${acc}`, undefined, 'API_ERR_INVALID_POST_ID'],
    ['GET', `/v1/accounts/${acc}/posts?limit=1000`, undefined, 'ERR_VALIDATION'],
    ['POST', `/v1/accounts/${acc}/posts/${sub}/views`, undefined, 'API_ERR_INVALID_POST_ID'],
    ['POST', `/v1/accounts/${acc}/subscriptions`, { plan: 'pro', extra: 1 }, 'ERR_VALIDATION'],
    ['GET', `/v1/accounts/${acc}/subscriptions/${pst}`, undefined, 'API_ERR_INVALID_SUBSCRIPTION_ID'],
    ['GET', `/v1/accounts/${acc}/subscriptions/${'s'.repeat(65)}/charges`, undefined, 'ERR_VALIDATION'],
  ])('%s %s answers its code before touching a shard', async (method, url, payload, code) => {
    const res = await app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload }) });
    expect(res.json()).toMatchObject({ code });
    expect([400, 422]).toContain(res.statusCode);
  });

  // Checks that only the route's own logic can make (a cursor it issued, a plan in the catalogue)
  // run after the owner check (src/tenancy/), which reads the account: 503 with the shard down.
  it.each([
    ['GET', `/v1/accounts/${acc}/posts/${pst}`, undefined],
    ['GET', `/v1/accounts/${acc}/posts`, undefined],
    ['POST', `/v1/accounts/${acc}/subscriptions/${sub}/cancel`, undefined],
    ['GET', `/v1/accounts/${acc}/posts?cursor=abc`, undefined],
    ['POST', `/v1/accounts/${acc}/subscriptions`, { plan: 'gold' }],
  ])('%s %s fails fast with 503 when the shard is down', async (method, url, payload) => {
    const res = await app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload }) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE', retriable: true });
  });

  it('serves the plan catalogue and the OpenAPI document without a database', async () => {
    expect((await app.inject('/v1/plans')).json<{ items: { id: string }[] }>().items.map((p) => p.id)).toContain('pro');
    const res = await app.inject('/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/accounts',
        '/v1/accounts/{id}',
        '/v1/accounts/{accountId}/posts',
        '/v1/accounts/{accountId}/posts/{postId}',
        '/v1/accounts/{accountId}/posts/{postId}/views',
        '/v1/plans',
        '/v1/accounts/{accountId}/subscriptions',
        '/v1/accounts/{accountId}/subscriptions/{subscriptionId}',
        '/v1/accounts/{accountId}/subscriptions/{subscriptionId}/cancel',
        '/v1/accounts/{accountId}/subscriptions/{subscriptionId}/charges',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/accounts/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(doc.paths['/v1/accounts/{accountId}/posts/{postId}/views']!).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/v1/accounts']!.post!.requestBody).toMatchObject({
      content: { 'application/json': { schema: { additionalProperties: false } } },
    });
    expect(doc.paths['/v1/accounts/{accountId}/posts']!.get!.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cursor', in: 'query', required: false })]),
    );
    expect(doc.paths).not.toHaveProperty('/healthz');
  });
});

describe('domain helpers', () => {
  it('round-trips a cursor and refuses anything it did not issue', () => {
    const id = createPrefixedId('pst');
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    for (const bad of ['', 'abc', Buffer.from('{"v":2}').toString('base64url'), encodeCursor("pst_' OR 1=1")]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });

  it('single-flight shares one load among concurrent callers, then forgets it', async () => {
    const flight = createSingleFlight<number>();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const load = async () => {
      loads++;
      await gate;
      return 7;
    };
    const all = Promise.all(Array.from({ length: 20 }, () => flight.do('k', load)));
    release();
    expect(await all).toEqual(Array(20).fill(7));
    expect(loads).toBe(1);
    expect(flight.size).toBe(0);
    await flight.do('k', load);
    expect(loads).toBe(2);
  });

  it('defaults the cache modes, negative TTL and views flush, and rejects an unknown mode', () => {
    const config = testConfig({ SHARD_PRIMARIES: UNREACHABLE_PG });
    expect(config).toMatchObject({
      accountsCacheMode: 'write-through',
      postsCacheMode: 'write-around',
      viewsMode: 'write-back',
      negativeCacheTtlS: 5,
      viewsFlushMs: 1000,
      postsTopic: 'posts.events',
      subscriptionsTopic: 'subscriptions.events',
    });
    expect(() => testConfig({ SHARD_PRIMARIES: UNREACHABLE_PG, POSTS_CACHE_MODE: 'write-behind' })).toThrow();
  });
});
