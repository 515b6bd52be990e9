import type { Logger } from '@sdl/logging';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { closeRedis, createRedisClient, type Redis } from '@sdl/redis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export interface RedisPluginOptions {
  readonly url: string;
  /** Bound on every command, ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** An existing client (tests); the app then leaves closing it to the caller. */
  readonly client?: Redis;
}

async function redisPlugin(app: FastifyInstance, options: RedisPluginOptions): Promise<void> {
  const owned = options.client === undefined;
  const redis =
    options.client ??
    createRedisClient({
      url: options.url,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      name: 'sdl-ratelimiter',
    });
  app.decorate('redis', redis);
  app.readiness.add('redis', async () => {
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
  });
  app.addHook('onClose', async () => {
    if (!owned) return;
    await closeRedis(redis);
  });
}

export default fp(redisPlugin, { name: 'redis' });
