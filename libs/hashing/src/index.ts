export { fmix32, murmur3 } from './murmur3.js';
export { partitionOf, DEFAULT_PARTITIONS } from './partition.js';
export { createShardMap, type ShardMap, type ShardMapSpec } from './shard-map.js';
export { createHashRing, type HashNode, type HashRing, type HashRingOptions } from './hash-ring.js';
export { boundedLoadOwner, loadBound } from './bounded-load.js';
export { createRendezvous, type Rendezvous } from './rendezvous.js';
export { createMaglev, DEFAULT_MAGLEV_SIZE, type Maglev } from './maglev.js';
