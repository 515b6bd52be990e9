import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { closeRedis, createRedisClient, type Redis } from '@sdl/redis';
import { createClientPlugin } from '@sdl/server';
import { createEvictionPolicyReporter } from './eviction-policy.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The cache's Redis, or null when REDIS_CACHE_URL is unset. */
    cacheRedis: Redis | null;
  }
}

export interface RedisPluginOptions {
  readonly url: string | undefined;
  /** Per-command timeout, ms: a slow cache must cost less than the database read it saves. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Views write-back shares this Redis: warn when its eviction policy may drop counters. */
  readonly viewsWriteBack: boolean;
}

/**
 * The cache's Redis as `app.cacheRedis` (null without REDIS_CACHE_URL). Commands fail fast while
 * it is down (no offline queue, one retry, a short command timeout) and it reconnects in the
 * background with backoff, so the node keeps serving from Postgres. Not a readiness dependency:
 * its state is in `api_cache_up` and on `/readyz` under `optional` (cacheHealthPlugin); its eviction
 * policy is logged and exposed on every connect (`api_cache_redis_maxmemory_policy`). Closed in onClose.
 */
export const redisPlugin = createClientPlugin({
  name: 'redis-cache',
  decorate: 'cacheRedis',
  create: async (options: RedisPluginOptions) => {
    if (options.url === undefined) return null;
    const redis = createRedisClient({
      url: options.url,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      name: 'sdl-api-cache',
      lazyConnect: true,
      // Concurrent requests' commands leave in one write: 2.4x GETs/s, 0.55x CPU each (docs/benchmarks.md).
      autoPipelining: true,
    });
    new Gauge({
      name: 'api_cache_up',
      help: '1 while the cache Redis connection is ready',
      registers: [options.registry],
      collect() {
        this.set(redis.status === 'ready' ? 1 : 0);
      },
    });
    const eviction = createEvictionPolicyReporter({
      redis,
      registry: options.registry,
      logger: options.logger,
      viewsWriteBack: options.viewsWriteBack,
    });
    // On every (re)connect: a restarted or replaced server may run with another policy.
    redis.on('ready', () => void eviction.report());
    await redis.connect().catch((err: unknown) => {
      options.logger.child({ component: 'redis-cache' }).warn({ err }, 'cache Redis not reachable at start-up');
    });
    return redis;
  },
  close: (redis) => closeRedis(redis),
});

/** Adds the cache Redis's state to `/readyz` under `optional` (it never makes the node unready). */
export const cacheHealthPlugin = fp(
  async (app: FastifyInstance) => {
    const redis = app.cacheRedis;
    if (redis === null) return;
    app.addHook('preSerialization', async (req, _reply, payload: unknown) => {
      if (req.routeOptions.url !== '/readyz' || typeof payload !== 'object' || payload === null) return payload;
      return { ...payload, optional: { redis: await ping(redis) } };
    });
  },
  { name: 'cache-health', dependencies: ['redis-cache'] },
);

async function ping(redis: Redis): Promise<string> {
  try {
    await redis.ping();
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
