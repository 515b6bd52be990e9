import type { CacheResult, EntityCache } from './entity-cache.js';
import type { ReadFrom, ReadScopes } from './read-scope.js';
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

/** One shared database read: the value and where it was served (for the joiners' `x-read-from`). */
export interface Loaded<T> {
  readonly value: T | undefined;
  readonly from: ReadFrom | undefined;
}

/** How a read may use the shard's replica: `target` as ShardPools.readTarget gives it. */
export interface ReadRouting {
  readonly target: string;
  readonly scopes: ReadScopes;
}

/**
 * Cache first; on a miss (or with Redis unavailable) one database read per key per node
 * (single-flight), whose answer fills the cache: the value, or a short-lived "missing" marker.
 * Only a read that bypasses the cache may use a replica: a cache fill from a lagging replica
 * would serve a stale value (or a false 404) for the whole TTL, so misses read the primary.
 * The single-flight key includes the read target, so a reader holding a token never takes the
 * answer of a read that was not allowed to see its write.
 */
export async function readThrough<T>(
  cache: EntityCache<T>,
  flight: SingleFlight<Loaded<T>>,
  id: string,
  load: (replicaOk: boolean) => Promise<T | undefined>,
  routing?: ReadRouting,
): Promise<ReadThroughResult<T>> {
  const lookup = await cache.get(id);
  if (lookup.result === 'hit') return { value: lookup.value, cache: 'hit' };
  if (lookup.result === 'hit-missing') return { value: undefined, cache: 'hit' };
  const target = lookup.result === 'bypass' && routing !== undefined ? routing.target : 'primary';
  const { value, from } = await flight.do(`${id}|${target}`, async () => {
    const loaded = await load(target !== 'primary');
    if (lookup.result === 'miss') {
      if (loaded === undefined) await cache.populateMissing(id);
      else await cache.populate(loaded);
    }
    return { value: loaded, from: routing?.scopes.current()?.from };
  });
  if (from !== undefined) routing?.scopes.noteRead(from);
  return { value, cache: lookup.result };
}
