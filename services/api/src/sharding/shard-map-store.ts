import type { Coordinator } from '@sdl/coord';
import type { ShardMapSpec } from '@sdl/hashing';

/** The etcd key of the shard map (one JSON value; every api node watches it). */

/** What etcd holds: the spec plus when and why it last changed (for operators). */
export interface StoredShardMap extends ShardMapSpec {
  readonly updatedAt: string;
  readonly reason: string;
}

/** A map read from etcd: the parsed spec and the exact value, for a compare-and-swap. */
export interface ReadShardMap {
  readonly map: StoredShardMap;
  readonly raw: string;
}

export class ShardMapError extends Error {
  readonly code = 'SHARD_ERR_INVALID_MAP';
}

/** The contiguous default: partition p on shard floor(p x shards / partitions), version 1. */
export function defaultShardMap(shardCount: number, partitions: number): StoredShardMap {
  return {
    version: 1,
    assignments: Array.from({ length: partitions }, (_, p) => Math.floor((p * shardCount) / partitions)),
    updatedAt: new Date().toISOString(),
    reason: 'initial contiguous map',
  };
}

/**
 * Parses and checks a stored map against this deployment: the partition count is fixed for the
 * life of the data (changing it would rehash every key), and every shard named must exist.
 */
export function parseShardMap(raw: string, shardCount: number, partitions: number): StoredShardMap {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ShardMapError('shard map is not JSON');
  }
  const v = value as Partial<StoredShardMap> | null;
  if (v === null || typeof v !== 'object' || !Number.isSafeInteger(v.version) || (v.version ?? 0) < 1) {
    throw new ShardMapError('shard map needs a positive integer version');
  }
  if (!Array.isArray(v.assignments) || v.assignments.length !== partitions) {
    throw new ShardMapError(`shard map needs exactly ${partitions} assignments`);
  }
  for (const shard of v.assignments as unknown[]) {
    if (!Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= shardCount) {
      throw new ShardMapError(`shard map names shard ${String(shard)}; this deployment has 0..${shardCount - 1}`);
    }
  }
  return {
    version: v.version!,
    assignments: v.assignments as number[],
    updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : '',
    reason: typeof v.reason === 'string' ? v.reason : '',
  };
}

export interface ShardMapStoreOptions {
  readonly coordinator: Coordinator;
  readonly key: string;
  readonly shardCount: number;
  readonly partitions: number;
}

/** The shard map in etcd: read, create once, swap by compare-and-put, watch. */
export class ShardMapStore {
  readonly #o: ShardMapStoreOptions;
  readonly key: string;

  constructor(options: ShardMapStoreOptions) {
    this.#o = options;
    this.key = options.key;
  }

  parse(raw: string): StoredShardMap {
    return parseShardMap(raw, this.#o.shardCount, this.#o.partitions);
  }

  async read(): Promise<ReadShardMap | undefined> {
    const raw = await this.#o.coordinator.get(this.key);
    return raw === undefined ? undefined : { map: this.parse(raw), raw };
  }

  /** The map, creating the default if etcd has none (the first node to start wins; others read it). */
  async init(): Promise<ReadShardMap> {
    for (;;) {
      const found = await this.read();
      if (found !== undefined) return found;
      const raw = JSON.stringify(defaultShardMap(this.#o.shardCount, this.#o.partitions));
      if (await this.#o.coordinator.compareAndPut(this.key, undefined, raw)) return { map: this.parse(raw), raw };
    }
  }

  /** Writes `next` only if the map is still `expected.raw`; false when another change came first. */
  async swap(expected: ReadShardMap, next: StoredShardMap): Promise<boolean> {
    if (next.version <= expected.map.version) throw new ShardMapError('a new shard map needs a larger version');
    this.parse(JSON.stringify(next));
    return this.#o.coordinator.compareAndPut(this.key, expected.raw, JSON.stringify(next));
  }

  /** Calls `onMap` with every valid value the key takes (`onInvalid` for the others). */
  async watch(
    onMap: (map: StoredShardMap) => void,
    onInvalid: (err: unknown) => void,
  ): Promise<{ close(): Promise<void> }> {
    return this.#o.coordinator.watchPrefix(this.key, (entries) => {
      const raw = entries.get(this.key);
      if (raw === undefined) return;
      try {
        onMap(this.parse(raw));
      } catch (err) {
        onInvalid(err);
      }
    });
  }
}

export function createShardMapStore(options: ShardMapStoreOptions): ShardMapStore {
  return new ShardMapStore(options);
}
