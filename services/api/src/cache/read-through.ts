import { AppError } from '@sdl/errors';
import { ApiErrors } from '../errors.js';
import type { CacheResult, EntityCache } from './entity-cache.js';
import type { ReadFrom, ReadScopes } from '../replication/read-scope.js';
import type { ShardRoute } from '../sharding/shard-router.js';
import type { SingleFlight } from './single-flight.js';

/**
 * The explainability headers of an answer: `x-shard`, `x-partition`, `x-cache` and (when the
 * entity has one) `x-cache-mode`. The one builder: replies and errors (a 404) both use it.
 */
export function explainHeaders(route: ShardRoute, cache: CacheResult | string, mode?: string): Record<string, string> {
  return {
    'x-shard': String(route.shard),
    'x-partition': String(route.partition),
    'x-cache': cache,
    ...(mode === undefined ? {} : { 'x-cache-mode': mode }),
  };
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
  /** `hit` when another node's fill answered a miss (fill lease); absent: the caller's lookup result. */
  readonly cache?: CacheResult;
}

/** How a read may use the shard's replica: `target` as ShardPools.readTarget gives it. */
export interface ReadRouting {
  readonly target: string;
  readonly scopes: ReadScopes;
  /** PARTITION_MODE=availability: a read the primary cannot answer may be served by the replica, stale. */
  readonly staleOk?: boolean;
}

/**
 * Cache first; on a miss (or with Redis unavailable) one database read per key per node
 * (single-flight), whose answer fills the cache: the value, or a short-lived "missing" marker
 * (with Redis unavailable only the L1, when there is one).
 * A miss goes through the cache's fill lease, so across nodes too only one of them reads the
 * database; the others serve its fill (`x-cache: hit`, no database read on this node).
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
  if (lookup.result === 'hit') {
    // XFetch: this hit drew an early refresh; it is served now and the refresh runs behind it
    // (one per key per node: a miss of the same key meanwhile joins it). A failed refresh is
    // counted; the value already cached serves until its TTL.
    if (lookup.refreshEarly === true) {
      void flight
        .do(`${id}|primary`, async () => ({ value: await cache.refresh(id, () => load(false)), from: undefined }))
        .catch(() => undefined);
    }
    return { value: lookup.value, cache: 'hit' };
  }
  if (lookup.result === 'hit-missing') return { value: undefined, cache: 'hit' };
  // Redis unavailable with an L1 on: the L1 is the only cache, so the read fills it, and like
  // any fill it reads the primary (a replica's lagging copy would be served for the L1's TTL).
  const fillsL1 = lookup.result === 'bypass' && cache.hasL1;
  const target = lookup.result === 'bypass' && routing !== undefined && !fillsL1 ? routing.target : 'primary';
  const shared = await flight
    .do(`${id}|${target}`, async (): Promise<Loaded<T>> => {
      if (fillsL1)
        return { value: await cache.fillLocal(id, () => load(false)), from: routing?.scopes.current()?.from };
      if (lookup.result === 'bypass')
        return { value: await load(target !== 'primary'), from: routing?.scopes.current()?.from };
      const filled = await cache.fill(id, () => load(false));
      return {
        value: filled.value,
        from: filled.readDatabase ? routing?.scopes.current()?.from : undefined,
        cache: filled.cache,
      };
    })
    .catch(async (err: unknown): Promise<Loaded<T>> => {
      // Availability first (PARTITION_MODE): the primary could not be reached; the replica's copy
      // is served (ShardPools labels it `replica-stale`: `x-stale: true`) and never stored in the cache.
      if (routing?.staleOk !== true || !(err instanceof AppError && err.code === ApiErrors.shardUnavailable.code))
        throw err;
      return flight.do(`${id}|stale`, async () => ({ value: await load(true), from: routing.scopes.current()?.from }));
    });
  if (shared.from !== undefined) routing?.scopes.noteRead(shared.from);
  // A bypassing reader that joined a miss's flight still reports its own bypass.
  return { value: shared.value, cache: lookup.result === 'bypass' ? 'bypass' : (shared.cache ?? lookup.result) };
}
