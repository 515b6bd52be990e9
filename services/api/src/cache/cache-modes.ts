import { Gauge, type Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';

/** How each cached entity is written, as configured (ACCOUNTS_CACHE_MODE, POSTS_CACHE_MODE, VIEWS_MODE). */
export type CacheModes = Readonly<Record<string, string>>;

/**
 * `api_cache_mode_info{entity,mode} 1` per entity: the console and dashboards read the mode from
 * the node itself rather than from a copy of its environment. `post_views` is the write-back
 * counter (write-back or off), the others the entity caches (write-through, write-around, off).
 */
export function reportCacheModes(registry: Registry, modes: CacheModes): void {
  const gauge = new Gauge({
    name: 'api_cache_mode_info',
    help: 'How each entity is cached, as a label (value 1): write-through, write-around, write-back, off',
    labelNames: ['entity', 'mode'] as const,
    registers: [registry],
  });
  for (const [entity, mode] of Object.entries(modes)) gauge.set({ entity, mode }, 1);
}

export interface WriteBackBacklogOptions {
  readonly registry: Registry;
  /** Null when write-back is off or there is no cache Redis: no series. */
  readonly redis: Redis | null;
  readonly entity: string;
  /** The hash every node's writes go to (shared: each node reports the same count). */
  readonly dirtyKey: string;
  /** This node's moved-aside hash: taken by its flush, not yet (or not successfully) in Postgres. */
  readonly flushingKey: string;
}

/**
 * `api_cache_write_back_pending{entity,queue}`: dirty entries waiting to be written back, asked
 * at each scrape (HLEN). `queue="shared"` is the hash all nodes write to (the same figure on every
 * node: take the max); `queue="node"` is this node's flush in progress or left by a failed shard
 * (retried next interval: add these up). Left out of the scrape while Redis does not answer.
 */
export function reportWriteBackBacklog(options: WriteBackBacklogOptions): void {
  const { redis } = options;
  if (redis === null) return;
  new Gauge({
    name: 'api_cache_write_back_pending',
    help: 'Write-back entries not yet in Postgres (queue: shared = the hash every node writes, node = this node flush in progress or retried)',
    labelNames: ['entity', 'queue'] as const,
    registers: [options.registry],
    async collect() {
      this.reset();
      try {
        const [shared, node] = await Promise.all([redis.hlen(options.dirtyKey), redis.hlen(options.flushingKey)]);
        this.set({ entity: options.entity, queue: 'shared' }, shared);
        this.set({ entity: options.entity, queue: 'node' }, node);
      } catch {
        // Redis down: no figure rather than a false 0 (api_cache_up says why).
      }
    },
  });
}
