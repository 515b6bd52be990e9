import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import type { Redis } from '@sdl/redis';
import { createFixedWindow } from './algorithms/fixed-window.js';
import type { RateLimiterConfig } from './config.js';
import { createLimiter } from './limiter.js';
import { createRateLimiterMetrics } from './metrics.js';
import redisPlugin from './redis-plugin.js';
import { checkRoute } from './routes/check-route.js';

export { RateLimiterConfigSchema, type RateLimiterConfig } from './config.js';

export interface RateLimiterDeps {
  readonly config: RateLimiterConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** An existing Redis client; by default the app makes one from `redisUrl` and closes it on close. */
  readonly redis?: Redis;
}

/** The ratelimiter: `POST /v1/check` over a Redis-backed algorithm, with the fail mode applied. */
export async function buildApp(deps: RateLimiterDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const app = createApp({ logger, metrics, bodyLimit: 16 * 1024 });

  await app.register(redisPlugin, {
    url: config.redisUrl,
    timeoutMs: config.redisTimeoutMs,
    logger,
    ...(deps.redis === undefined ? {} : { client: deps.redis }),
  });

  const limiter = createLimiter({
    algorithm: createFixedWindow(app.redis),
    limits: config.limits,
    failMode: config.failMode,
    metrics: createRateLimiterMetrics(metrics),
    logger,
  });
  await app.register(checkRoute, { limiter });
  return app;
}
