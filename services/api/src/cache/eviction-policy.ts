import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import { PERSISTENCE_SETTINGS, persistenceModeOf, readRedisConfig, type Redis } from '@sdl/redis';

/** What the cache Redis says about eviction and persistence; `unknown` when CONFIG is refused (managed Redis). */
export interface EvictionPolicy {
  readonly policy: string;
  /** Bytes; 0 = no limit (Redis never evicts, writes fail only when the host runs out). */
  readonly maxmemoryBytes: number | undefined;
  /** What a crash loses: none, rdb, aof-everysec, aof-always (REDIS_PERSISTENCE; @sdl/redis persistenceModeOf). */
  readonly persistence: string;
}

/**
 * Reads `maxmemory-policy`, `maxmemory` and the persistence settings; `unknown` when the server
 * refuses CONFIG (disabled or renamed), undefined when it did not answer (timeout, disconnected:
 * worth asking again).
 */
export async function readEvictionPolicy(redis: Redis): Promise<EvictionPolicy | undefined> {
  const config = await readRedisConfig(redis, ['maxmemory-policy', 'maxmemory', ...PERSISTENCE_SETTINGS]);
  if (config === undefined) return undefined;
  if (config === 'refused') return { policy: 'unknown', maxmemoryBytes: undefined, persistence: 'unknown' };
  const memory = Number(config.maxmemory);
  return {
    policy: config['maxmemory-policy'] ?? 'unknown',
    maxmemoryBytes: Number.isFinite(memory) ? memory : undefined,
    persistence: persistenceModeOf(config),
  };
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
 * `api_cache_redis_maxmemory_policy{policy} 1` (an info metric), `api_cache_redis_maxmemory_bytes`
 * and `api_cache_redis_persistence{mode} 1`; warns when views write-back shares a Redis that evicts
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
  const persistenceGauge = new Gauge({
    name: 'api_cache_redis_persistence',
    help: 'The cache Redis persistence mode as a label (value 1): none, rdb, aof-everysec, aof-always; unknown when CONFIG GET is refused',
    labelNames: ['mode'] as const,
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
    persistenceGauge.reset();
    persistenceGauge.set({ mode: found.persistence }, 1);
    const at = { policy: found.policy, maxmemoryBytes: found.maxmemoryBytes, persistence: found.persistence };
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
