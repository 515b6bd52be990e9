import { loadRedisScript, type Redis } from '@sdl/redis';
import type { RateLimitAlgorithm } from './rate-limit-algorithm.js';

// The .lua files stay in src/scripts (tsc does not copy them); dist/ and src/ are siblings.
const scriptsDir = new URL('../../src/scripts/', import.meta.url);

function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`fixed-window script returned ${String(value)}`);
  return n;
}

/**
 * Fixed window: one counter per (key, window size) that expires windowMs after the first admitted
 * hit. Cheap (one key, one round trip) but admits up to 2x limit across a window boundary.
 */
export function createFixedWindow(redis: Redis): RateLimitAlgorithm {
  const script = loadRedisScript('fixed-window', scriptsDir);
  return {
    name: 'fixed-window',
    async check(key, limit, windowMs, cost) {
      // The window size is part of the key so a changed limit config starts fresh windows.
      const redisKey = `rl:fw:{${key}}:${windowMs}`;
      const reply = await script.run(redis, [redisKey], [cost, limit, windowMs]);
      if (!Array.isArray(reply) || reply.length !== 3) {
        throw new TypeError('fixed-window script returned an unexpected reply');
      }
      const [allowed, count, ttl] = reply.map(toInt) as [number, number, number];
      return { allowed: allowed === 1, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl) };
    },
  };
}
