import { murmur3 } from './murmur3.js';

/** Logical partitions the key space is cut into; fixed for the life of the data. */
export const DEFAULT_PARTITIONS = 64;

/** The logical partition of a shard key (murmur3 modulo the partition count, default 64). */
export function partitionOf(key: string, partitions = DEFAULT_PARTITIONS): number {
  return murmur3(key) % partitions;
}
