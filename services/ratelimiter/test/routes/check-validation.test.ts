import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '@sdl/testing';
import { buildTestApp, check } from '../support/helpers.js';

// No Redis here: nothing listens on REDIS_URL, so every check exercises the fail mode.
describe('POST /v1/check validation and fail modes without Redis', () => {
  let open: FastifyInstance;
  let closed: FastifyInstance;

  beforeAll(async () => {
    const redisUrl = `redis://127.0.0.1:${await closedPort()}`;
    ({ app: open } = await buildTestApp({ REDIS_URL: redisUrl }));
    ({ app: closed } = await buildTestApp({
      REDIS_URL: redisUrl,
      FAIL_MODE: 'closed',
      LIMITS: JSON.stringify({ default: { limit: 10, windowMs: 60000 } }),
    }));
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
    ['route with a brace', { descriptors: { client: 'demo', route: 'GET /{x}' } }],
    ['address not an address', { descriptors: { client: 'demo', address: 'evil host' } }],
    ['plan with bad characters', { descriptors: { client: 'demo', plan: 'pro plan' } }],
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
    expect(res.body).toEqual({
      allowed: true,
      limit: 100,
      remaining: 100,
      resetMs: 1000,
      failMode: 'open',
      rule: 'default',
      windowMs: 1000,
      granted: 3,
      unitCost: 1,
    });
  });

  it('denies with failMode "closed" when Redis is unreachable', async () => {
    const res = await check(closed, { descriptors: { client: 'demo' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      allowed: false,
      limit: 10,
      remaining: 0,
      resetMs: 1000,
      failMode: 'closed',
      rule: 'default',
      windowMs: 60000,
      granted: 0,
      unitCost: 1,
    });
  });

  it('switches the fail mode at run time (PUT /admin/fail-mode), and back to FAIL_MODE with null', async () => {
    const admin = (failMode: unknown) => open.inject({ method: 'PUT', url: '/admin/fail-mode', payload: { failMode } });
    const demo = { descriptors: { client: 'demo' } };
    expect((await admin('closed')).json()).toEqual({ failMode: 'closed', configured: 'open' });
    expect((await check(open, demo)).body).toMatchObject({ allowed: false, failMode: 'closed', granted: 0 });
    expect((await open.inject({ method: 'GET', url: '/admin/fail-mode' })).json()).toMatchObject({
      failMode: 'closed',
    });
    expect((await admin(null)).json()).toEqual({ failMode: 'open', configured: 'open' });
    expect((await check(open, demo)).body).toMatchObject({ allowed: true, failMode: 'open' });
    for (const bad of ['sideways', 1, undefined]) {
      const res = await admin(bad);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
    }
    expect((await check(open, demo)).body).toMatchObject({ allowed: true, failMode: 'open' });
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

describe('per-rule fail mode without Redis', () => {
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rl-rules-'));
    const file = join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify({
        rules: [
          {
            name: 'strict',
            match: { route: 'POST /v1/payments*' },
            algorithm: 'gcra',
            limit: 10,
            windowMs: 1000,
            failMode: 'closed',
          },
          { name: 'lenient', algorithm: 'token-bucket', limit: 50, windowMs: 1000 },
        ],
      }),
    );
    ({ app } = await buildTestApp({
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      FAIL_MODE: 'open',
      RULES_FILE: file,
    }));
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the rule own fail mode over FAIL_MODE', async () => {
    const strict = await check(app, { descriptors: { client: 'demo', route: 'POST /v1/payments' } });
    expect(strict.body).toMatchObject({ allowed: false, failMode: 'closed', rule: 'strict' });
    const lenient = await check(app, { descriptors: { client: 'demo', route: 'GET /v1/posts' } });
    expect(lenient.body).toMatchObject({ allowed: true, failMode: 'open', rule: 'lenient' });
  });
});
