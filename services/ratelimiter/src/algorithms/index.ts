import type { Redis } from '@sdl/redis';
import { createFixedWindow } from './fixed-window.js';
import type { AlgorithmName, RateLimitAlgorithm } from './rate-limit-algorithm.js';
import { createScriptAlgorithm } from './script-algorithm.js';

export * from './rate-limit-algorithm.js';

/**
 * Every algorithm over one Redis client. Errors (documented in each script):
 * token bucket and GCRA are exact for their rate and burst; fixed window admits up to 2x limit
 * across a window edge; sliding log is exact; sliding counter is off by at most the previous
 * window's count times the error of its "evenly spread" assumption.
 */
export function createAlgorithms(redis: Redis): Record<AlgorithmName, RateLimitAlgorithm> {
  const withBurst = (p: { burst: number }): readonly number[] => [p.burst];
  return {
    'token-bucket': createScriptAlgorithm(redis, { name: 'token-bucket', prefix: 'tb', extraArgs: withBurst }),
    gcra: createScriptAlgorithm(redis, { name: 'gcra', prefix: 'gcra', extraArgs: withBurst }),
    'fixed-window': createFixedWindow(redis),
    'sliding-log': createScriptAlgorithm(redis, { name: 'sliding-log', prefix: 'sl' }),
    'sliding-counter': createScriptAlgorithm(redis, { name: 'sliding-counter', prefix: 'sc' }),
  };
}
