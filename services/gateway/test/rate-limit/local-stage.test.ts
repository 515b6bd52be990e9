import { describe, expect, it } from 'vitest';
import { batchSize, createLocalStage, type Grant } from '../../src/rate-limit/local-stage.js';
import { rateLimitHeaders } from '../../src/rate-limit/rate-limit-gate.js';

describe('local stage', () => {
  const options = { maxKeys: 10, batchFraction: 0.1, batchMax: 1000 };
  const grant = (over: Partial<Grant> = {}): Grant => ({
    policy: 'p',
    limit: 100,
    windowMs: 1000,
    granted: 10,
    remaining: 80,
    resetMs: 900,
    unitCost: 1,
    exact: false,
    ...over,
  });

  it('sizes batches as max(1, floor(limit x fraction / unit cost)), capped', () => {
    expect(batchSize(5, 1, options)).toBe(1);
    expect(batchSize(100, 1, options)).toBe(10);
    expect(batchSize(100, 4, options)).toBe(2);
    expect(batchSize(1_000_000_000, 1, options)).toBe(1000);
  });

  it('leases 1 for an unknown key, then spends a granted batch locally until it is empty', () => {
    const stage = createLocalStage(options);
    expect(stage.take('k', 0)).toEqual({ kind: 'lease', want: 1, exact: false });
    // The asking request takes one of the 10 at once.
    expect(stage.grant('k', grant(), 0)).toEqual({
      policy: 'p',
      limit: 100,
      windowMs: 1000,
      remaining: 89,
      resetMs: 900,
    });
    const takes = Array.from({ length: 9 }, () => stage.take('k', 10));
    expect(takes.every((t) => t.kind === 'admit')).toBe(true);
    expect(takes.at(-1)).toMatchObject({ kind: 'admit', quota: { remaining: 80, resetMs: 890 } });
    expect(stage.take('k', 10)).toEqual({ kind: 'lease', want: 10, exact: false });
  });

  it('drops an unspent lease after one window', () => {
    const stage = createLocalStage(options);
    stage.grant('k', grant(), 0);
    expect(stage.take('k', 999).kind).toBe('admit');
    expect(stage.take('k', 1000)).toMatchObject({ kind: 'lease', want: 10 });
    // Its leftover tokens are gone, not added to the next grant.
    stage.grant('k', grant({ granted: 2 }), 1000);
    expect(stage.take('k', 1001).kind).toBe('admit');
    expect(stage.take('k', 1001).kind).toBe('lease');
  });

  it('caches a global denial until its reset', () => {
    const stage = createLocalStage(options);
    expect(stage.grant('k', grant({ granted: 0, remaining: 0, resetMs: 700 }), 0)).toMatchObject({
      remaining: 0,
      resetMs: 700,
    });
    expect(stage.take('k', 699)).toEqual({
      kind: 'deny',
      quota: { policy: 'p', limit: 100, windowMs: 1000, remaining: 0, resetMs: 1 },
    });
    expect(stage.take('k', 700).kind).toBe('lease');
  });

  it('never batches a key with a concurrency rule (exact)', () => {
    const stage = createLocalStage(options);
    stage.grant('k', grant({ exact: true }), 0);
    expect(stage.take('k', 1)).toEqual({ kind: 'lease', want: 1, exact: true });
    // Nor caches its denials (a concurrency slot frees on release, not at the reset).
    stage.grant('k', grant({ exact: true, granted: 0, resetMs: 5000 }), 2);
    expect(stage.take('k', 3)).toEqual({ kind: 'lease', want: 1, exact: true });
  });

  it('failing open, limits known keys by a fallback bucket drained by every admission', () => {
    const stage = createLocalStage(options);
    expect(stage.fallback('unknown', 0)).toEqual({ pass: true, quota: undefined });
    stage.grant('k', grant({ limit: 4, granted: 1 }), 0);
    expect([stage.fallback('k', 0), stage.fallback('k', 0), stage.fallback('k', 0)].every((f) => f.pass)).toBe(true);
    expect(stage.fallback('k', 0)).toMatchObject({ pass: false, quota: { remaining: 0, resetMs: 250 } });
    expect(stage.fallback('k', 250).pass).toBe(true);
  });

  it('learns a key from a fail-open answer, so the fallback bucket limits it once the ratelimiter is gone', () => {
    const stage = createLocalStage(options);
    const rule = { policy: 'default', limit: 4, windowMs: 1000, unitCost: 1, exact: false };
    stage.admitUncounted('k', rule, 0);
    // Nothing was counted globally, so nothing is leased: the next request still asks.
    expect(stage.take('k', 0)).toMatchObject({ kind: 'lease' });
    expect([stage.fallback('k', 0), stage.fallback('k', 0), stage.fallback('k', 0)].every((f) => f.pass)).toBe(true);
    expect(stage.fallback('k', 0).pass).toBe(false);
  });

  it('forgets the oldest key beyond maxKeys', () => {
    const stage = createLocalStage({ ...options, maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) stage.grant(k, grant({ granted: 0 }), 0);
    expect(stage.take('a', 1).kind).toBe('lease');
    expect(stage.take('c', 1).kind).toBe('deny');
  });

  it('writes the draft RateLimit-Policy and RateLimit fields beside the legacy trio', () => {
    expect(rateLimitHeaders({ policy: 'per-key', limit: 5, windowMs: 60000, remaining: 2, resetMs: 1500 })).toEqual({
      'ratelimit-policy': '"per-key";q=5;w=60',
      ratelimit: '"per-key";r=2;t=2',
      'ratelimit-limit': '5',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '2',
    });
  });
});
