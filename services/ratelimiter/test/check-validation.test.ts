import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, check, closedPort } from './helpers.js';

// No Redis here: nothing listens on REDIS_URL, so every check exercises the fail mode.
describe('POST /v1/check validation and fail modes without Redis', () => {
  let open: FastifyInstance;
  let closed: FastifyInstance;

  beforeAll(async () => {
    const redisUrl = `redis://127.0.0.1:${await closedPort()}`;
    open = await buildTestApp({ REDIS_URL: redisUrl });
    closed = await buildTestApp({
      REDIS_URL: redisUrl,
      FAIL_MODE: 'closed',
      LIMITS: JSON.stringify({ default: { limit: 10, windowMs: 60000 } }),
    });
  });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
  });

  it.each([
    ['no descriptors', {}],
    ['no client', { descriptors: {} }],
    ['empty client', { descriptors: { client: '' } }],
    ['client too long', { descriptors: { client: 'a'.repeat(65) } }],
    ['client with bad characters', { descriptors: { client: 'a b/c' } }],
    ['client not a string', { descriptors: { client: 42 } }],
    ['unknown descriptor', { descriptors: { client: 'demo', user: 'x' } }],
    ['unknown top-level field', { descriptors: { client: 'demo' }, extra: true }],
    ['cost zero', { descriptors: { client: 'demo' }, cost: 0 }],
    ['cost too high', { descriptors: { client: 'demo' }, cost: 1001 }],
    ['cost not an integer', { descriptors: { client: 'demo' }, cost: 1.5 }],
    ['cost as a string', { descriptors: { client: 'demo' }, cost: '1' }],
  ])('rejects %s with 400 ERR_VALIDATION', async (_name, body) => {
    const res = await check(open, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_VALIDATION');
  });

  it('rejects malformed JSON with 400 ERR_MALFORMED_JSON', async () => {
    const res = await open.inject({
      method: 'POST',
      url: '/v1/check',
      headers: { 'content-type': 'application/json' },
      payload: '{"descriptors":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_MALFORMED_JSON' });
  });

  it('admits with failMode "open" when Redis is unreachable', async () => {
    const res = await check(open, { descriptors: { client: 'demo.client:1', route: 'GET /v1/posts' }, cost: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ allowed: true, limit: 100, remaining: 100, resetMs: 1000, failMode: 'open' });
  });

  it('denies with failMode "closed" when Redis is unreachable', async () => {
    const res = await check(closed, { descriptors: { client: 'demo' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ allowed: false, limit: 10, remaining: 0, resetMs: 1000, failMode: 'closed' });
  });

  it('counts failures in metrics and reports not ready', async () => {
    await check(closed, { descriptors: { client: 'demo' } });
    const metrics = (await closed.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/ratelimiter_checks_total\{result="failed_closed"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/ratelimiter_redis_errors_total\{[^}]*\} [1-9]/);
    const ready = await closed.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
  });
});
