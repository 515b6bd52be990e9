import { Gauge, type Registry } from '@sdl/metrics';
import { createRunTimeSettings, type RunTimeSettings } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
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
  },
  { additionalProperties: false },
);
export type ApiSettings = Static<typeof ApiSettingsSchema>;

export interface ApiSettingsTargets {
  /** Holds the partition mode it reads at every read. */
  readonly shards: { partitionMode: ApiSettings['partitionMode'] };
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
    mode.reset();
    mode.set({ mode: settings.partitionMode }, 1);
  };
  const settings = createRunTimeSettings<ApiSettings>({ partitionMode: config.partitionMode }, apply);
  apply(settings.current());
  return settings;
}
