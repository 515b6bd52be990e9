import type { ErrorSpec } from '@sdl/errors';

/**
 * The ratelimiter's own codes. A Redis failure never reaches the client as an error: the limiter
 * answers according to its fail mode and says so in `failMode`; the code names the cause in logs.
 */
export const RateLimiterErrors = {
  redisUnavailable: {
    code: 'RL_ERR_REDIS_UNAVAILABLE',
    statusCode: 503,
    message: 'the rate limit store is unavailable',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;
