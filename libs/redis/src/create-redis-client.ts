import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisClientOptions {
  readonly url: string;
  /** Bound on every command, ms; the connect timeout is 10x this, at least 1 s. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Shown in logs and as the CLIENT SETNAME (e.g. `sdl-api-cache`). */
  readonly name: string;
  /** Do not connect until `connect()` is called (default false). */
  readonly lazyConnect?: boolean;
  /**
   * ioredis's auto-pipelining: the commands issued in one event-loop turn leave in one write (and
   * their answers come back in one read) instead of one write each. Default false; the request-path
   * clients turn it on (docs/benchmarks.md, "Redis auto-pipelining").
   */
  readonly autoPipelining?: boolean;
}

/**
 * An ioredis client for the request path: commands fail fast instead of queueing while
 * disconnected (no offline queue, one retry, a command timeout), reconnects back off up to 2 s,
 * and the log shows each outage once rather than every reconnect attempt.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const log = options.logger.child({ component: 'redis', redis: options.name });
  const redis = new Redis(options.url, {
    lazyConnect: options.lazyConnect ?? false,
    enableAutoPipelining: options.autoPipelining ?? false,
    connectionName: options.name,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(1000, options.timeoutMs * 10),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  });
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.warn({ err }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection restored');
    down = false;
  });
  return redis;
}

/** QUIT lets in-flight commands finish; a dead connection cannot answer it, so it is just dropped. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
