import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';
import { ReplyError } from 'ioredis';

/** What the cache Redis says about eviction; `unknown` when CONFIG is refused (managed Redis). */
export interface EvictionPolicy {
  readonly policy: string;
  /** Bytes; 0 = no limit (Redis never evicts, writes fail only when the host runs out). */
  readonly maxmemoryBytes: number | undefined;
}

/**
 * Reads `maxmemory-policy` and `maxmemory`; `unknown` when the server refuses CONFIG (disabled or
 * renamed), undefined when it did not answer (timeout, disconnected: worth asking again).
 */
export async function readEvictionPolicy(redis: Redis): Promise<EvictionPolicy | undefined> {
  try {
    const [policyReply, memoryReply] = await Promise.all([
      redis.config('GET', 'maxmemory-policy') as Promise<string[]>,
      redis.config('GET', 'maxmemory') as Promise<string[]>,
    ]);
    const memory = Number(memoryReply[1]);
    return { policy: policyReply[1] ?? 'unknown', maxmemoryBytes: Number.isFinite(memory) ? memory : undefined };
  } catch (err) {
    return err instanceof ReplyError ? { policy: 'unknown', maxmemoryBytes: undefined } : undefined;
  }
}

/**
 * Write-back view counters live in the cache Redis without a TTL: an `allkeys-*` policy may
 * evict an unflushed counter hash under memory pressure, losing its increments silently.
 */
export function evictsUnflushedCounters(policy: string): boolean {
  return policy.startsWith('allkeys-');
}

export interface EvictionPolicyReporter {
  /**
   * Reads the policy now (call on every (re)connect: the server may have changed), logs and
   * exposes it; without an answer it asks again up to 5 times, a second apart.
   */
  report(): Promise<EvictionPolicy | undefined>;
}

/**
 * `api_cache_redis_maxmemory_policy{policy} 1` (an info metric) and
 * `api_cache_redis_maxmemory_bytes`; warns when views write-back shares a Redis that evicts
 * keys without a TTL.
 */
export function createEvictionPolicyReporter(options: {
  redis: Redis;
  registry: Registry;
  logger: Logger;
  viewsWriteBack: boolean;
}): EvictionPolicyReporter {
  const log = options.logger.child({ component: 'redis-cache' });
  const policyGauge = new Gauge({
    name: 'api_cache_redis_maxmemory_policy',
    help: 'The cache Redis maxmemory-policy as a label (value 1); unknown when CONFIG GET is refused',
    labelNames: ['policy'] as const,
    registers: [options.registry],
  });
  const memoryGauge = new Gauge({
    name: 'api_cache_redis_maxmemory_bytes',
    help: 'The cache Redis maxmemory (0 = unlimited)',
    registers: [options.registry],
  });
  const report = async (attempt = 1): Promise<EvictionPolicy | undefined> => {
    const found = await readEvictionPolicy(options.redis);
    if (found === undefined) {
      if (attempt < 5) setTimeout(() => void report(attempt + 1), 1000).unref();
      return undefined;
    }
    policyGauge.reset();
    policyGauge.set({ policy: found.policy }, 1);
    if (found.maxmemoryBytes !== undefined) memoryGauge.set(found.maxmemoryBytes);
    const at = { policy: found.policy, maxmemoryBytes: found.maxmemoryBytes };
    if (options.viewsWriteBack && evictsUnflushedCounters(found.policy)) {
      log.warn(
        at,
        'cache Redis may evict unflushed write-back view counters (allkeys-* policy); use volatile-* or a separate Redis',
      );
    } else log.info(at, 'cache Redis eviction policy');
    return found;
  };
  return { report: async () => report() };
}
