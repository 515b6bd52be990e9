import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedis, type Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, check } from '../support/helpers.js';

const execFileAsync = promisify(execFile);

const LIMITS = JSON.stringify({
  default: { limit: 100, windowMs: 1000 },
  clients: { limited: { limit: 5, windowMs: 60000 }, other: { limit: 5, windowMs: 60000 } },
});

// Against a real Redis: the Lua script, its expiry, and what happens when Redis goes away.
describe('fixed window against Redis', () => {
  let redis: Started | undefined;
  let open: FastifyInstance;
  let closed: FastifyInstance;

  beforeAll(async () => {
    redis = await startRedis();
    // 500 ms: long enough that a loaded machine never trips it on a healthy Redis, short enough to
    // see the fail mode while Redis is stalled for 3 s below.
    const openApp = await buildTestApp({ REDIS_URL: redis.url, LIMITS, REDIS_TIMEOUT_MS: '500' });
    open = openApp.app;
    const closedApp = await buildTestApp({
      REDIS_URL: redis.url,
      LIMITS,
      FAIL_MODE: 'closed',
      REDIS_TIMEOUT_MS: '500',
    });
    closed = closedApp.app;
    await Promise.all([openApp.untilReady(), closedApp.untilReady()]);
  });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
    await redis?.stop();
  });

  it('admits exactly limit requests in a window, then denies with remaining 0', async () => {
    const answers = [];
    for (let i = 0; i < 7; i += 1) answers.push(await check(open, { descriptors: { client: 'limited' } }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(answers.map((a) => a.body.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    for (const a of answers) {
      expect(a.body.limit).toBe(5);
      expect(a.body.failMode).toBeUndefined();
      expect(a.body.resetMs).toBeGreaterThan(0);
      expect(a.body.resetMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('admits exactly limit requests under concurrency', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => check(open, { descriptors: { client: 'other' } })),
    );
    expect(answers.filter((a) => a.body.allowed === true)).toHaveLength(5);
  });

  it('keeps clients independent and charges the cost', async () => {
    const a = await check(open, { descriptors: { client: 'client-a' }, cost: 60 });
    const b = await check(open, { descriptors: { client: 'client-b', route: 'GET /v1/posts' }, cost: 60 });
    expect(a.body).toMatchObject({ allowed: true, limit: 100, remaining: 40 });
    expect(b.body).toMatchObject({ allowed: true, limit: 100, remaining: 40 });
    // A cost that does not fit is denied without using up what is left.
    expect((await check(open, { descriptors: { client: 'client-a' }, cost: 41 })).body).toMatchObject({
      allowed: false,
      remaining: 40,
    });
    expect((await check(open, { descriptors: { client: 'client-a' }, cost: 40 })).body).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });

  it('opens a new window once the old one expires', async () => {
    const client = 'short-window';
    const first = await check(open, { descriptors: { client }, cost: 100 });
    expect(first.body).toMatchObject({ allowed: true, remaining: 0 });
    expect((await check(open, { descriptors: { client } })).body.allowed).toBe(false);
    await vi.waitFor(async () => expect((await check(open, { descriptors: { client } })).body.allowed).toBe(true), {
      timeout: 3000,
      interval: 100,
    });
  });

  it('exposes its metrics', async () => {
    const metrics = (await open.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/ratelimiter_checks_total\{result="allowed"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/ratelimiter_checks_total\{result="denied"[^}]*\} [1-9]/);
    expect(metrics).toContain('ratelimiter_redis_duration_seconds_bucket');
  });

  it('answers by fail mode from the command timeout while Redis is busy, then recovers', async () => {
    // A script that spins for 3 s blocks Redis like a stall would; commands must time out, not queue.
    const spin =
      "local t=redis.call('TIME'); local s=t[1]*1e6+t[2]; " +
      "repeat t=redis.call('TIME') until t[1]*1e6+t[2]-s > 3000000; return 1";
    let stalled = true;
    const busy = redis!.container.exec(['redis-cli', 'EVAL', spin, '0']).finally(() => (stalled = false));
    const answeredDuringStall = await vi.waitFor(
      async () => {
        const res = await check(open, { descriptors: { client: 'busy' } });
        expect(res.body.failMode).toBe('open');
        return stalled;
      },
      { timeout: 10_000, interval: 20 },
    );
    // The command timeout answered, not the end of the stall (after it, checks are counted again;
    // how long the fail-mode answer takes: bench/degraded/fail-fast.ts).
    expect(answeredDuringStall).toBe(true);
    expect((await busy).exitCode).toBe(0);
    await vi.waitFor(
      async () => expect((await check(open, { descriptors: { client: 'busy' } })).body.failMode).toBeUndefined(),
      { timeout: 5000, interval: 50 },
    );
  });

  it('answers by fail mode from the command timeout while Redis is paused, then recovers', async () => {
    // A frozen Redis process: connections stay open, nothing answers.
    const id = redis!.container.getId();
    await execFileAsync('docker', ['pause', id]);
    try {
      // Answered while Redis is still paused: the 500 ms command timeout ends the wait, nothing waits
      // for the pause to end (without the timeout these two would hang until the test times out).
      const [o, c] = await Promise.all([
        check(open, { descriptors: { client: 'paused' } }),
        check(closed, { descriptors: { client: 'paused' } }),
      ]);
      expect(o.body).toMatchObject({ allowed: true, failMode: 'open' });
      expect(c.body).toMatchObject({ allowed: false, failMode: 'closed' });
    } finally {
      await execFileAsync('docker', ['unpause', id]);
    }
    await vi.waitFor(
      async () => expect((await check(open, { descriptors: { client: 'paused' } })).body.failMode).toBeUndefined(),
      { timeout: 5000, interval: 50 },
    );
  });

  it('answers by fail mode, promptly, once Redis is stopped', async () => {
    await redis?.stop();
    redis = undefined;
    await vi.waitFor(async () => expect((await open.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503), {
      timeout: 5000,
      interval: 50,
    });
    for (let i = 0; i < 3; i += 1) {
      const [o, c] = await Promise.all([
        open.inject({ method: 'POST', url: '/v1/check', payload: { descriptors: { client: 'limited' } } }),
        closed.inject({ method: 'POST', url: '/v1/check', payload: { descriptors: { client: 'limited' } } }),
      ]);
      expect(o.json()).toMatchObject({ allowed: true, failMode: 'open' });
      expect(c.json()).toMatchObject({ allowed: false, remaining: 0, failMode: 'closed' });
    }
  }, 10_000);
});
