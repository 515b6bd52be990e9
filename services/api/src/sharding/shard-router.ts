import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@sdl/errors';
import { createShardMap, type ShardMap, type ShardMapSpec } from '@sdl/hashing';
import { ApiErrors, PartitionMovedError } from '../errors.js';

/** Where a key lives: its logical partition and the physical shard holding that partition. */
export interface ShardRoute {
  readonly partition: number;
  readonly shard: number;
  /** Version of the shard map that produced this route. */
  readonly mapVersion: number;
}

/** Reads the authoritative shard map (etcd), for a writer that found its partition moved. */
export type ShardMapReader = () => Promise<ShardMapSpec | undefined>;

export interface ShardRouterOptions {
  /** How long a write that found its partition fenced waits for the new map, ms (default 2000). */
  readonly movedWaitMs?: number;
  /** Re-read period while waiting, ms (default 50). */
  readonly movedPollMs?: number;
}

/**
 * Routes shard keys to shards through a versioned shard map. The map starts as the default
 * contiguous one (version 1); the shard-map plugin applies the versions it reads and watches in
 * etcd, and every caller keeps routing through this one object.
 */
export class ShardRouter {
  readonly #shardCount: number;
  readonly #waitMs: number;
  readonly #pollMs: number;
  #map: ShardMap;
  #reader: ShardMapReader | undefined;

  constructor(shardCount: number, spec?: ShardMapSpec, options: ShardRouterOptions = {}) {
    this.#shardCount = shardCount;
    this.#map = createShardMap(shardCount, spec);
    this.#waitMs = options.movedWaitMs ?? 2000;
    this.#pollMs = options.movedPollMs ?? 50;
  }

  get shardCount(): number {
    return this.#shardCount;
  }

  get version(): number {
    return this.#map.version;
  }

  get partitions(): number {
    return this.#map.partitions;
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

  /** Where `refresh()` reads the map from (the shard-map plugin sets it). */
  setReader(reader: ShardMapReader): void {
    this.#reader = reader;
  }

  /** Reads the map now (not waiting for the watch); false without a reader or a newer map. */
  async refresh(): Promise<boolean> {
    const spec = await this.#reader?.();
    return spec !== undefined && this.apply(spec);
  }

  /**
   * Runs a write on the key's shard. A shard that has given the key's partition away refuses it
   * (PartitionMovedError, before anything is written): the map is re-read until the partition's new
   * shard shows (a move switches the map right after fencing the old shard), and the write runs
   * once more there. No new shard within the wait: 503 API_ERR_PARTITION_MOVING, retriable.
   */
  async write<T>(key: string, fn: (route: ShardRoute) => Promise<T>): Promise<T> {
    let route = this.route(key);
    // Counted from the first refusal: the time a write spent held by the fence is not the map's fault.
    let deadline: number | undefined;
    for (;;) {
      try {
        return await fn(route);
      } catch (err) {
        if (!(err instanceof PartitionMovedError)) throw err;
        deadline ??= performance.now() + this.#waitMs;
        const next = await this.#awaitMoved(key, route.shard, deadline);
        if (next === undefined) {
          throw new AppError(ApiErrors.partitionMoving, {
            details: { partition: route.partition },
            headers: { 'retry-after': '1' },
            cause: err,
          });
        }
        route = next;
      }
    }
  }

  async #awaitMoved(key: string, from: number, deadline: number): Promise<ShardRoute | undefined> {
    for (;;) {
      const route = this.route(key);
      if (route.shard !== from) return route;
      if (performance.now() >= deadline) return undefined;
      await this.refresh().catch(() => false);
      if (this.route(key).shard === from) await sleep(this.#pollMs);
    }
  }
}

/** A router over `shardCount` shards with the default map (version 1). */
export function createShardRouter(shardCount: number, spec?: ShardMapSpec, options?: ShardRouterOptions): ShardRouter {
  return new ShardRouter(shardCount, spec, options);
}
