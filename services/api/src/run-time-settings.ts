import { Gauge, type Registry } from '@sdl/metrics';
import { createRunTimeSettings, type RunTimeSettings } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import type { L1Shape } from './cache/entity-cache.js';
import { ApiConfigSchema, type ApiConfig } from './config.js';

/**
 * The api node's switches a lab run may flip at run time (`GET|PUT|DELETE /admin/settings` on its
 * admin listener; the game days' `api.FIELD` knobs set every running node). The environment gives
 * the start values, DELETE goes back to them, a restarted node starts from them.
 */
export const ApiSettingsSchema = Type.Object(
  {
    /** PARTITION_MODE: CAP when a shard's primary is unreachable (see ShardPools). */
    partitionMode: ApiConfigSchema.properties.partitionMode,
    /** CACHE_L1_POLICY, CACHE_L1_ENTRIES, CACHE_L1_TTL_MS: a change replaces each entity's L1, empty (cache/l1-switch.ts). */
    cacheL1Policy: ApiConfigSchema.properties.cacheL1Policy,
    cacheL1Entries: ApiConfigSchema.properties.cacheL1Entries,
    cacheL1TtlMs: ApiConfigSchema.properties.cacheL1TtlMs,
    /** BLOOM_FILTER: switched on, the node rebuilds the filters before it consults them (bloom-filter/bloom-switch.ts). */
    bloomFilter: ApiConfigSchema.properties.bloomFilter,
  },
  { additionalProperties: false },
);
export type ApiSettings = Static<typeof ApiSettingsSchema>;

export interface ApiSettingsTargets {
  /** Holds the partition mode it reads at every read. */
  readonly shards: { partitionMode: ApiSettings['partitionMode'] };
  /** Reshapes every entity cache's L1 (createL1Switch); the same shape again changes nothing. */
  readonly l1: (shape: L1Shape) => void;
  /** The Bloom filters' switch (BloomSwitch); the same value again changes nothing. */
  readonly bloom: { set(on: boolean): void };
  readonly registry: Registry;
}

/**
 * The settings from the environment, pushed into the objects that use them at each change, with
 * `api_partition_mode_info{mode} 1` for the mode in force (the console and game days read it).
 */
export function createApiSettings(config: ApiConfig, targets: ApiSettingsTargets): RunTimeSettings<ApiSettings> {
  const mode = new Gauge({
    name: 'api_partition_mode_info',
    help: 'CAP under a partition in force (label mode: consistency or availability; value 1)',
    labelNames: ['mode'] as const,
    registers: [targets.registry],
  });
  const apply = (settings: ApiSettings): void => {
    targets.shards.partitionMode = settings.partitionMode;
    targets.l1({ maxEntries: settings.cacheL1Entries, ttlMs: settings.cacheL1TtlMs, policy: settings.cacheL1Policy });
    targets.bloom.set(settings.bloomFilter === 'on');
    mode.reset();
    mode.set({ mode: settings.partitionMode }, 1);
  };
  const settings = createRunTimeSettings<ApiSettings>(
    {
      partitionMode: config.partitionMode,
      cacheL1Policy: config.cacheL1Policy,
      cacheL1Entries: config.cacheL1Entries,
      cacheL1TtlMs: config.cacheL1TtlMs,
      bloomFilter: config.bloomFilter,
    },
    apply,
  );
  apply(settings.current());
  return settings;
}
