export { murmur3 } from './murmur3.js';
export { partitionOf, DEFAULT_PARTITIONS } from './partition.js';
export { createShardMap, type ShardMap, type ShardMapSpec } from './shard-map.js';
