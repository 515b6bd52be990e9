import { createShardMap, type ShardMap, type ShardMapSpec } from '@sdl/hashing';

/** Where a key lives: its logical partition and the physical shard holding that partition. */
export interface ShardRoute {
  readonly partition: number;
  readonly shard: number;
  /** Version of the shard map that produced this route. */
  readonly mapVersion: number;
}

/**
 * Routes shard keys to shards through a versioned shard map. Today the map is the default
 * contiguous one (version 1); a later etcd watch calls `apply()` with newer versions, and every
 * caller keeps routing through this one object.
 */
export class ShardRouter {
  readonly #shardCount: number;
  #map: ShardMap;

  constructor(shardCount: number, spec?: ShardMapSpec) {
    this.#shardCount = shardCount;
    this.#map = createShardMap(shardCount, spec);
  }

  get shardCount(): number {
    return this.#shardCount;
  }

  get version(): number {
    return this.#map.version;
  }

  route(key: string): ShardRoute {
    const { partition, shard } = this.#map.shardOf(key);
    return { partition, shard, mapVersion: this.#map.version };
  }

  /** Switches to a newer map; older or equal versions are ignored (watch events may repeat). */
  apply(spec: ShardMapSpec): boolean {
    if (spec.version <= this.#map.version) return false;
    this.#map = createShardMap(this.#shardCount, spec);
    return true;
  }
}

/** A router over `shardCount` shards with the default map (version 1). */
export function createShardRouter(shardCount: number, spec?: ShardMapSpec): ShardRouter {
  return new ShardRouter(shardCount, spec);
}
