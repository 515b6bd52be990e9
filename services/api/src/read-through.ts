import type { CacheResult, EntityCache } from './entity-cache.js';
import type { ShardRoute } from './shard-router.js';
import type { SingleFlight } from './single-flight.js';

/** The routing and cache headers, for answers (such as a 404) that are errors. */
export function explainHeaders(route: ShardRoute, cache: CacheResult): Record<string, string> {
  return { 'x-shard': String(route.shard), 'x-partition': String(route.partition), 'x-cache': cache };
}

export interface ReadThroughResult<T> {
  /** undefined: the id does not exist (from the database or a negative cache entry). */
  readonly value: T | undefined;
  readonly cache: CacheResult;
}

/**
 * Cache first; on a miss (or with Redis unavailable) one database read per key per node
 * (single-flight), whose answer fills the cache: the value, or a short-lived "missing" marker.
 */
export async function readThrough<T>(
  cache: EntityCache<T>,
  flight: SingleFlight<T | undefined>,
  id: string,
  load: () => Promise<T | undefined>,
): Promise<ReadThroughResult<T>> {
  const lookup = await cache.get(id);
  if (lookup.result === 'hit') return { value: lookup.value, cache: 'hit' };
  if (lookup.result === 'hit-missing') return { value: undefined, cache: 'hit' };
  const value = await flight.do(id, async () => {
    const loaded = await load();
    if (lookup.result === 'miss') {
      if (loaded === undefined) await cache.populateMissing(id);
      else await cache.populate(loaded);
    }
    return loaded;
  });
  return { value, cache: lookup.result };
}
