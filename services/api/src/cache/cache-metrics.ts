import { Counter, type Registry } from '@sdl/metrics';

/** Shared by every entity's cache (one registration per registry). */
export interface CacheMetrics {
  readonly requests: Counter<'entity' | 'result'>;
  readonly degraded: Counter<'entity' | 'op'>;
  readonly fills: Counter<'entity' | 'outcome'>;
  readonly l1: Counter<'entity' | 'result'>;
  readonly l1Evictions: Counter<'entity' | 'source'>;
  readonly l1Replaced: Counter<'entity' | 'policy'>;
  readonly earlyRefreshes: Counter<'entity' | 'outcome'>;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  const counter = <L extends string>(name: string, label: L, help: string): Counter<'entity' | L> =>
    new Counter({ name, help, labelNames: ['entity', label] as const, registers: [registry] });
  return {
    requests: counter(
      'api_cache_requests_total',
      'result',
      'Cache reads by entity and result (hit, miss, bypass = cache off or Redis unavailable)',
    ),
    degraded: counter(
      'api_cache_degraded_total',
      'op',
      'Cache operations that failed and were skipped (op: get, write_through, populate, invalidate)',
    ),
    fills: counter(
      'api_cache_fill_lease_total',
      'outcome',
      'Cache fills after a miss by outcome (won: this node read the database; waited: served the fill of another node; fallback: read the database without the lease, not stored; superseded: a won fill not stored because a write ended its lease first)',
    ),
    l1: counter(
      'api_cache_l1_requests_total',
      'result',
      'In-process L1 lookups by result (hit, miss); only with CACHE_L1_ENTRIES > 0',
    ),
    l1Evictions: counter(
      'api_cache_l1_invalidations_total',
      'source',
      'L1 entries dropped because the entity changed (source: write on this node, event from another)',
    ),
    l1Replaced: counter(
      'api_cache_l1_evictions_total',
      'policy',
      'L1 entries dropped to make room, by replacement policy (CACHE_L1_POLICY); expiries and invalidations not counted',
    ),
    earlyRefreshes: counter(
      'api_cache_early_refresh_total',
      'outcome',
      'XFetch early refreshes of a hot key before its expiry (CACHE_STAMPEDE=xfetch; outcome: refreshed, failed)',
    ),
  };
}
