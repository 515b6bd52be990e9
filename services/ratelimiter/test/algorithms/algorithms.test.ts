import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@sdl/logging';
import { createRedisClient, type Redis } from '@sdl/redis';
import { startRedis, type Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '@sdl/metrics';
import { createConcurrencyLimiter } from '../../src/algorithms/concurrency.js';
import { ALGORITHM_NAMES, createAlgorithms, type RateLimitAlgorithm } from '../../src/algorithms/index.js';
import { createLimiter } from '../../src/limiter.js';
import { createRateLimiterMetrics } from '../../src/metrics.js';
import { parseRules } from '../../src/rules/rule-set.js';
import { buildTestApp, check } from '../support/helpers.js';

// Windows of an hour: refills/leaks during a test are far below one unit, so "exactly limit" is exact.
const HOUR = 3_600_000;

describe('every algorithm against Redis', () => {
  let redis: Started | undefined;
  let client: Redis;
  let algorithms: Record<string, RateLimitAlgorithm>;

  beforeAll(async () => {
    redis = await startRedis();
    client = createRedisClient({
      url: redis.url,
      timeoutMs: 1000,
      logger: createLogger({ name: 't', level: 'silent' }),
      name: 'test',
    });
    algorithms = createAlgorithms(client);
    await vi.waitFor(async () => expect(await client.ping()).toBe('PONG'), { timeout: 10_000, interval: 50 });
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  describe.each(ALGORITHM_NAMES)('%s', (name) => {
    const params = { limit: 5, windowMs: HOUR, burst: 5, cost: 1 };

    it('admits exactly limit in a row, with remaining counting down, then denies with a reset', async () => {
      const algorithm = algorithms[name]!;
      const decisions = [];
      for (let i = 0; i < 7; i += 1) decisions.push(await algorithm.check(`seq-${name}`, params));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
      for (const d of decisions.slice(5)) {
        expect(d.resetMs).toBeGreaterThan(0);
        expect(d.resetMs).toBeLessThanOrEqual(HOUR);
      }
    });

    it('admits exactly limit under concurrency', async () => {
      const algorithm = algorithms[name]!;
      const decisions = await Promise.all(Array.from({ length: 30 }, () => algorithm.check(`conc-${name}`, params)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    });

    it('charges the cost, and a cost that does not fit takes nothing', async () => {
      const algorithm = algorithms[name]!;
      const big = { ...params, limit: 100, burst: 100 };
      expect(await algorithm.check(`cost-${name}`, { ...big, cost: 60 })).toMatchObject({
        allowed: true,
        remaining: 40,
      });
      expect(await algorithm.check(`cost-${name}`, { ...big, cost: 41 })).toMatchObject({
        allowed: false,
        remaining: 40,
      });
      expect(await algorithm.check(`cost-${name}`, { ...big, cost: 40 })).toMatchObject({
        allowed: true,
        remaining: 0,
      });
    });
  });

  it('refills: a bucket of 1 per 200 ms admits again after its interval, on Redis time', async () => {
    for (const name of ['token-bucket', 'gcra', 'sliding-log'] as const) {
      const algorithm = algorithms[name]!;
      const p = { limit: 1, windowMs: 200, burst: 1, cost: 1 };
      expect((await algorithm.check(`refill-${name}`, p)).allowed).toBe(true);
      const denied = await algorithm.check(`refill-${name}`, p);
      expect(denied.allowed).toBe(false);
      expect(denied.resetMs).toBeLessThanOrEqual(200);
      // Denied checks take nothing, so polling does not delay the refill.
      await vi.waitFor(async () => expect((await algorithm.check(`refill-${name}`, p)).allowed).toBe(true), {
        timeout: 2000,
        interval: 20,
      });
    }
  });

  it('shadow rules count and report but never deny; the enforcing rule decides', async () => {
    const rules = parseRules({
      rules: [
        { name: 'shadow-tight', shadow: true, algorithm: 'sliding-log', limit: 2, windowMs: HOUR },
        { name: 'enforced', algorithm: 'token-bucket', limit: 4, windowMs: HOUR },
      ],
    });
    const metrics = createMetrics({ service: 't', defaults: false });
    const limiter = createLimiter({
      algorithms: algorithms as never,
      concurrency: createConcurrencyLimiter(client),
      rules: () => rules,
      failMode: 'open',
      metrics: createRateLimiterMetrics(metrics),
      logger: createLogger({ name: 't', level: 'silent' }),
    });
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await limiter.check({ client: 'shadowed' }, 1));
    expect(answers.map((a) => a.allowed)).toEqual([true, true, true, true, false]);
    expect(answers.map((a) => a.rule)).toEqual(Array(5).fill('enforced'));
    expect(answers.map((a) => a.shadowDenied ?? [])).toEqual([
      [],
      [],
      ['shadow-tight'],
      ['shadow-tight'],
      ['shadow-tight'],
    ]);
    expect(await metrics.registry.metrics()).toMatch(
      /ratelimiter_shadow_decisions_total\{rule="shadow-tight",result="denied"[^}]*\} 3/,
    );
  });

  it('grants part of a batch (partial) instead of denying it, each algorithm, never beyond the limit', async () => {
    for (const name of ['token-bucket', 'gcra', 'fixed-window', 'sliding-log', 'sliding-counter'] as const) {
      const rules = parseRules({ rules: [{ name: 'batch', algorithm: name, limit: 10, windowMs: HOUR }] });
      const limiter = createLimiter({
        algorithms: algorithms as never,
        concurrency: createConcurrencyLimiter(client),
        rules: () => rules,
        failMode: 'open',
        metrics: createRateLimiterMetrics(createMetrics({ service: 't', defaults: false })),
        logger: createLogger({ name: 't', level: 'silent' }),
      });
      const d = { client: `partial-${name}` };
      expect(await limiter.check(d, 4, { partial: true })).toMatchObject({
        allowed: true,
        granted: 4,
        remaining: 6,
        unitCost: 1,
      });
      expect(await limiter.check(d, 4)).toMatchObject({ allowed: true, granted: 4 });
      // 2 left: a whole batch of 4 is denied, a partial one gets the 2.
      expect(await limiter.check(d, 4)).toMatchObject({ allowed: false, granted: 0 });
      expect(await limiter.check(d, 4, { partial: true })).toMatchObject({ allowed: true, granted: 2, remaining: 0 });
      const none = await limiter.check(d, 4, { partial: true });
      expect(none).toMatchObject({ allowed: false, granted: 0 });
      // The reset is that of one request, not of the whole batch of 4.
      if (name === 'token-bucket' || name === 'gcra') expect(none.resetMs).toBeLessThanOrEqual(HOUR / 10 + 1000);
    }
  });

  it('token bucket and gcra honour a burst smaller than the limit', async () => {
    for (const name of ['token-bucket', 'gcra'] as const) {
      const decisions = await Promise.all(
        Array.from({ length: 10 }, () =>
          algorithms[name]!.check(`burst-${name}`, { limit: 100, windowMs: HOUR, burst: 3, cost: 1 }),
        ),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
    }
  });
});

describe('concurrency rules through the app', () => {
  let redis: Started | undefined;
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'rl-cc-'));
    const file = join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify({
        rules: [
          { name: 'in-flight', algorithm: 'concurrency', limit: 2, windowMs: 300 },
          { name: 'rate', algorithm: 'sliding-log', limit: 100, windowMs: HOUR },
        ],
      }),
    );
    const built = await buildTestApp({ REDIS_URL: redis.url, RULES_FILE: file });
    app = built.app;
    await built.untilReady();
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('admits limit in flight, frees a slot on release, and reclaims an unreleased lease when it expires', async () => {
    const a = await check(app, { descriptors: { client: 'cc' } });
    const b = await check(app, { descriptors: { client: 'cc' } });
    expect([a.body.allowed, b.body.allowed]).toEqual([true, true]);
    expect(a.body.leases).toHaveLength(1);
    const c = await check(app, { descriptors: { client: 'cc' } });
    expect(c.body).toMatchObject({ allowed: false, rule: 'in-flight', remaining: 0 });
    const released = await app.inject({
      method: 'POST',
      url: '/v1/release',
      payload: { leases: a.body.leases as object[] },
    });
    expect(released.statusCode).toBe(204);
    expect((await check(app, { descriptors: { client: 'cc' } })).body.allowed).toBe(true);
    // Nobody releases b's or the last lease (a dead client): they expire after windowMs.
    expect((await check(app, { descriptors: { client: 'cc' } })).body.allowed).toBe(false);
    await vi.waitFor(
      async () => expect((await check(app, { descriptors: { client: 'cc' } })).body.allowed).toBe(true),
      {
        timeout: 3000,
        interval: 50,
      },
    );
  });

  it('rejects a malformed release with 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/release',
      payload: { leases: [{ key: 'x', id: 'nope' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });
});
