import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { RateLimitAlgorithm } from './algorithms/rate-limit-algorithm.js';
import type { FailMode, Limit, Limits } from './config.js';
import { RateLimiterErrors } from './errors.js';
import type { RateLimiterMetrics } from './metrics.js';

export interface Descriptors {
  readonly client: string;
  readonly route?: string;
}

/** The body of a `/v1/check` answer. */
export interface CheckAnswer {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
  /** Present only when the store failed and the answer is the fail mode's, not a count. */
  failMode?: FailMode;
}

export interface Limiter {
  check(descriptors: Descriptors, cost: number): Promise<CheckAnswer>;
}

export interface LimiterOptions {
  readonly algorithm: RateLimitAlgorithm;
  readonly limits: Limits;
  readonly failMode: FailMode;
  readonly metrics: RateLimiterMetrics;
  readonly logger: Logger;
}

// When the store fails the real window is unknown: suggest a short retry rather than a whole window.
const FAILURE_RESET_MS = 1000;

/**
 * Looks up the client's limit, asks the algorithm, and turns a store failure into the configured
 * fail mode (admit everything, or deny everything) instead of an error.
 */
export function createLimiter(options: LimiterOptions): Limiter {
  const { algorithm, limits, failMode, metrics } = options;
  const log = options.logger.child({ component: 'limiter', algorithm: algorithm.name });
  const limitOf = (client: string): Limit => limits.clients[client] ?? limits.default;

  return {
    async check(descriptors, cost) {
      const { limit, windowMs } = limitOf(descriptors.client);
      const stopTimer = metrics.redisDuration.startTimer({ algorithm: algorithm.name });
      try {
        // Limits are per client for now; the route descriptor is accepted for per-route limits later.
        const decision = await algorithm.check(descriptors.client, limit, windowMs, cost);
        stopTimer();
        metrics.checks.inc({ result: decision.allowed ? 'allowed' : 'denied' });
        return { allowed: decision.allowed, limit, remaining: decision.remaining, resetMs: decision.resetMs };
      } catch (err) {
        stopTimer();
        metrics.redisErrors.inc();
        metrics.checks.inc({ result: failMode === 'open' ? 'failed_open' : 'failed_closed' });
        const failure = new AppError(RateLimiterErrors.redisUnavailable, { cause: err });
        log.warn({ err: failure, client: descriptors.client, failMode }, 'rate limit store failed; answering by fail mode');
        return {
          allowed: failMode === 'open',
          limit,
          remaining: failMode === 'open' ? limit : 0,
          resetMs: Math.min(windowMs, FAILURE_RESET_MS),
          failMode,
        };
      }
    },
  };
}
