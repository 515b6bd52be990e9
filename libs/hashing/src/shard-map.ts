import { DEFAULT_PARTITIONS, partitionOf } from './partition.js';

/** A versioned assignment of logical partitions to physical shards. */
export interface ShardMapSpec {
  readonly version: number;
  /** `assignments[p]` is the shard that holds partition p. */
  readonly assignments: readonly number[];
}

export interface ShardMap {
  readonly version: number;
  readonly partitions: number;
  partitionOf(key: string): number;
  shardOf(key: string): { partition: number; shard: number };
}

/**
 * With `spec` omitted, partitions are spread over `shardCount` shards in contiguous ranges
 * (version 1). Moving one partition later changes one entry, not every key's shard.
 */
export function createShardMap(shardCount: number, spec?: ShardMapSpec): ShardMap {
  const partitions = spec?.assignments.length ?? DEFAULT_PARTITIONS;
  const assignments =
    spec?.assignments ?? Array.from({ length: partitions }, (_, p) => Math.floor((p * shardCount) / partitions));
  for (const shard of assignments) {
    if (!Number.isInteger(shard) || shard < 0 || shard >= shardCount) {
      throw new RangeError(`shard map names shard ${shard}; only 0..${shardCount - 1} exist`);
    }
  }
  return {
    version: spec?.version ?? 1,
    partitions,
    partitionOf: (key) => partitionOf(key, partitions),
    shardOf(key) {
      const partition = partitionOf(key, partitions);
      return { partition, shard: assignments[partition]! };
    },
  };
}
