import type { Redis } from 'ioredis';
import { ReplyError } from 'ioredis';

/**
 * CONFIG GET of each name (one call per name: a Redis before 7 takes one pattern per call).
 * `refused` when the server refuses CONFIG (disabled or renamed, as on managed Redis); undefined
 * when it did not answer (timeout, disconnected: worth asking again).
 */
export async function readRedisConfig<Name extends string>(
  redis: Redis,
  names: readonly Name[],
): Promise<Record<Name, string | undefined> | 'refused' | undefined> {
  try {
    const replies = await Promise.all(names.map((name) => redis.config('GET', name) as Promise<string[]>));
    return Object.fromEntries(names.map((name, i) => [name, replies[i]![1]])) as Record<Name, string | undefined>;
  } catch (err) {
    return err instanceof ReplyError ? 'refused' : undefined;
  }
}

/** The settings that decide what a crash loses, as CONFIG GET names them. */
export const PERSISTENCE_SETTINGS = ['appendonly', 'appendfsync', 'save'] as const;

/**
 * The persistence mode in effect, named as REDIS_PERSISTENCE names it (infra/redis/persistence.sh):
 * `aof-<appendfsync>` when the append-only file is on (it is what a restart loads), else `rdb`
 * when snapshots are scheduled, else `none`.
 */
export function persistenceModeOf(
  config: Readonly<Record<(typeof PERSISTENCE_SETTINGS)[number], string | undefined>>,
): string {
  if (config.appendonly === 'yes') return `aof-${config.appendfsync ?? 'everysec'}`;
  return (config.save ?? '').trim() === '' ? 'none' : 'rdb';
}

/** The server's persistence mode; `unknown` when CONFIG is refused, undefined when it did not answer. */
export async function readPersistenceMode(redis: Redis): Promise<string | undefined> {
  const config = await readRedisConfig(redis, PERSISTENCE_SETTINGS);
  return config === 'refused' ? 'unknown' : config && persistenceModeOf(config);
}
