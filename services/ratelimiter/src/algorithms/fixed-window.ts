import type { Redis } from '@sdl/redis';
import type { RateLimitAlgorithm } from './rate-limit-algorithm.js';
import { createScriptAlgorithm } from './script-algorithm.js';

/**
 * Fixed window: one counter per (key, window size) that expires windowMs after the first admitted
 * hit. Cheap (one key, one round trip) but admits up to 2x limit across a window boundary.
 */
export function createFixedWindow(redis: Redis): RateLimitAlgorithm {
  const inner = createScriptAlgorithm(redis, { name: 'fixed-window', prefix: 'fw' });
  return {
    name: inner.name,
    async check(key, params) {
      // The script answers the count, not what is left.
      const d = await inner.check(key, params);
      return { ...d, remaining: Math.max(0, params.limit - d.remaining) };
    },
  };
}
