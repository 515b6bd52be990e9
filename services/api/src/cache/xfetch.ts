import type { Redis } from '@sdl/redis';

/**
 * XFetch, probabilistic early expiration (Vattani, Chierichetti, Lowenstein, "Optimal
 * Probabilistic Cache Stampede Prevention", VLDB 2015). Each value is stored with `delta`, the
 * time its last recomputation took, under `<key>:delta` with the same TTL. A reader that finds
 * the value refreshes it early when
 *
 *   now - delta * beta * ln(rand()) >= expiry,   i.e.   -delta * beta * ln(rand()) >= ttl left,
 *
 * so the chance grows as expiry nears and with the cost of a recompute: one reader (in
 * expectation) recomputes shortly before the key would expire, while the rest keep hitting.
 * No coordination: it does nothing for a cold key (nothing to refresh) and relies on traffic; a
 * key read rarely still expires and then misses on every node that reads it at once.
 */
export function refreshEarly(deltaMs: number, beta: number, ttlLeftMs: number, random: () => number): boolean {
  // ttlLeftMs < 0: no TTL (-1) or gone (-2); deltaMs 0: written by a write, not a recompute.
  if (!(deltaMs > 0) || ttlLeftMs < 0) return false;
  return -deltaMs * beta * Math.log(random()) >= ttlLeftMs;
}

export const deltaKey = (key: string): string => `${key}:delta`;

export interface ValueWithExpiry {
  readonly raw: string | null;
  /** PTTL of the value: ms left, -1 no TTL, -2 absent. */
  readonly ttlLeftMs: number;
  /** The recompute time stored beside the value, ms; 0 when none. */
  readonly deltaMs: number;
}

/** GET, PTTL and the delta in one MULTI (one round trip, one consistent view). */
export async function readWithExpiry(redis: Redis, key: string): Promise<ValueWithExpiry> {
  const results = await redis.multi().get(key).pttl(key).get(deltaKey(key)).exec();
  if (results === null) throw new Error('MULTI aborted');
  const failed = results.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
  const [[, raw], [, ttl], [, delta]] = results as [[null, string | null], [null, number], [null, string | null]];
  const deltaMs = Number(delta ?? 0);
  return { raw, ttlLeftMs: ttl, deltaMs: Number.isFinite(deltaMs) ? deltaMs : 0 };
}

/** Stores a recomputed value and its recompute time with one TTL, in one MULTI. */
export async function storeWithDelta(
  redis: Redis,
  key: string,
  raw: string,
  ttlSeconds: number,
  deltaMs: number,
): Promise<void> {
  const results = await redis
    .multi()
    .set(key, raw, 'EX', ttlSeconds)
    .set(deltaKey(key), deltaMs.toFixed(1), 'EX', ttlSeconds)
    .exec();
  const failed = results?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}
