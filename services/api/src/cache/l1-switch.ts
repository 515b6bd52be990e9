import { Gauge, type Registry } from '@sdl/metrics';
import type { L1Shape } from './entity-cache.js';

/** What the switch reshapes: every entity cache (each has its own L1, of the same shape). */
export interface L1Holder {
  configureL1(shape: L1Shape): void;
}

export interface L1SwitchOptions {
  readonly caches: readonly L1Holder[];
  /** The shape the caches were built with (the environment's): applying it again changes nothing. */
  readonly start: L1Shape;
  readonly registry: Registry;
}

const sameShape = (a: L1Shape, b: L1Shape): boolean =>
  a.maxEntries === b.maxEntries && a.ttlMs === b.ttlMs && (a.policy ?? 'lru') === (b.policy ?? 'lru');

/**
 * The L1's run-time switch (CACHE_L1_ENTRIES, CACHE_L1_TTL_MS, CACHE_L1_POLICY as settings): a
 * changed shape replaces the L1 of every entity cache with a new, empty one, so a policy is
 * always judged from a cold start and never on entries another policy chose. Exposes
 * `api_cache_l1_policy_info{policy} 1` and `api_cache_l1_max_entries` (0: no L1).
 */
export function createL1Switch(options: L1SwitchOptions): (shape: L1Shape) => void {
  const policyInfo = new Gauge({
    name: 'api_cache_l1_policy_info',
    help: 'The L1 replacement policy in force (label policy; value 1), CACHE_L1_POLICY or its run-time setting',
    labelNames: ['policy'] as const,
    registers: [options.registry],
  });
  const maxEntries = new Gauge({
    name: 'api_cache_l1_max_entries',
    help: 'L1 entries per entity in force (0: no L1), CACHE_L1_ENTRIES or its run-time setting',
    registers: [options.registry],
  });
  let current = options.start;
  const show = (shape: L1Shape): void => {
    policyInfo.reset();
    policyInfo.set({ policy: shape.policy ?? 'lru' }, 1);
    maxEntries.set(shape.maxEntries);
  };
  show(current);
  return (shape) => {
    if (sameShape(shape, current)) return;
    for (const cache of options.caches) cache.configureL1(shape);
    current = shape;
    show(shape);
  };
}
