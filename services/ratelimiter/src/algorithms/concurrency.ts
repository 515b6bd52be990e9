import { randomUUID } from 'node:crypto';
import { loadRedisScript, type Redis } from '@sdl/redis';

const scriptsDir = new URL('../../src/scripts/', import.meta.url);

export interface Lease {
  readonly key: string;
  readonly id: string;
}

export interface ConcurrencyDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  readonly resetMs: number;
  /** Present when admitted: hand it back to `release` when the request ends. */
  readonly lease?: Lease;
}

export interface ConcurrencyLimiter {
  acquire(key: string, limit: number, leaseMs: number): Promise<ConcurrencyDecision>;
  release(lease: Lease): Promise<void>;
}

/**
 * In-flight limits as leases in a sorted set scored by expiry (`concurrency-acquire.lua`): a
 * release is a ZREM; a lease its holder never releases (a crashed client or gateway) expires.
 */
export function createConcurrencyLimiter(redis: Redis): ConcurrencyLimiter {
  const script = loadRedisScript('concurrency-acquire', scriptsDir);
  const redisKey = (key: string): string => `rl:cc:{${key}}`;
  return {
    async acquire(key, limit, leaseMs) {
      const id = randomUUID();
      const reply = await script.run(redis, [redisKey(key)], [limit, leaseMs, id]);
      if (!Array.isArray(reply) || reply.length !== 3)
        throw new TypeError('concurrency script returned an unexpected reply');
      const [allowed, remaining, resetMs] = reply.map(Number) as [number, number, number];
      return { allowed: allowed === 1, remaining, resetMs, ...(allowed === 1 ? { lease: { key, id } } : {}) };
    },
    async release(lease) {
      await redis.zrem(redisKey(lease.key), lease.id);
    },
  };
}
