import { describe, expect, it } from 'vitest';
import { createLocalStage } from '../src/local-stage.js';
import { rateLimitHeaders } from '../src/rate-limit-gate.js';

describe('local stage', () => {
  const hint = { policy: 'p', allowed: true, limit: 4, windowMs: 1000, resetMs: 1000 };

  it('passes unknown keys, then runs a token bucket sized from the global answer', () => {
    const stage = createLocalStage({ maxKeys: 10 });
    expect(stage.take('k', 0)).toEqual({ pass: true });
    stage.learn('k', hint, 0);
    expect([stage.take('k', 0), stage.take('k', 0), stage.take('k', 0)].every((v) => v.pass)).toBe(true);
    expect(stage.take('k', 0)).toEqual({ pass: false, retryMs: 250, policy: 'p', limit: 4, windowMs: 1000 });
    expect(stage.take('k', 250).pass).toBe(true);
  });

  it('blocks a key the global stage denied until its reset', () => {
    const stage = createLocalStage({ maxKeys: 10 });
    stage.learn('k', { ...hint, allowed: false, resetMs: 700 }, 0);
    expect(stage.take('k', 699)).toMatchObject({ pass: false, retryMs: 1 });
    expect(stage.take('k', 700).pass).toBe(true);
  });

  it('forgets the oldest key beyond maxKeys', () => {
    const stage = createLocalStage({ maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) stage.learn(k, { ...hint, allowed: false }, 0);
    expect(stage.take('a', 1).pass).toBe(true);
    expect(stage.take('c', 1).pass).toBe(false);
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
