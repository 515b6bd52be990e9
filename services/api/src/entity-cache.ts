import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';

/** How an entity uses the cache; `off` makes every read a bypass and skips every write. */
export type CacheMode = 'write-through' | 'write-around' | 'off';

/** What a cache read found: the value, a remembered absence, nothing, or no answer from Redis. */
export type CacheLookup<T> =
  | { readonly result: 'hit'; readonly value: T }
  | { readonly result: 'hit-missing' }
  | { readonly result: 'miss' }
  | { readonly result: 'bypass' };

export type CacheResult = 'hit' | 'miss' | 'bypass';

/** Shared by every entity's cache (one registration per registry). */
export interface CacheMetrics {
  readonly requests: Counter<'entity' | 'result'>;
  readonly degraded: Counter<'entity' | 'op'>;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  return {
    requests: new Counter({
      name: 'api_cache_requests_total',
      help: 'Cache reads by entity and result (hit, miss, bypass = cache off or Redis unavailable)',
      labelNames: ['entity', 'result'] as const,
      registers: [registry],
    }),
    degraded: new Counter({
      name: 'api_cache_degraded_total',
      help: 'Cache operations that failed and were skipped (op: get, write_through, populate, invalidate)',
      labelNames: ['entity', 'op'] as const,
      registers: [registry],
    }),
  };
}

export interface EntityCacheOptions<T> {
  readonly entity: string;
  readonly mode: CacheMode;
  /** null: no cache configured. */
  readonly redis: Redis | null;
  readonly ttlSeconds: number;
  /** TTL of the marker remembering that an id does not exist. */
  readonly negativeTtlSeconds: number;
  /** Narrows a parsed cache value to T, or undefined when unreadable. */
  readonly parse: (value: unknown) => T | undefined;
  readonly idOf: (value: T) => string;
  readonly logger: Logger;
  readonly metrics: CacheMetrics;
}

// Stored for ids known not to exist; no entity serialises to this.
const MISSING = '{"$missing":true}';

/**
 * One entity type in Redis under `<entity>:<id>` as JSON, with a TTL. Redis is an optimisation,
 * never a dependency: every failure degrades (a read to `bypass`, a write-through to
 * write-around) and is counted in `api_cache_degraded_total`, never surfaced to the client.
 */
export class EntityCache<T> {
  readonly #o: EntityCacheOptions<T>;
  readonly #redis: Redis | null;
  readonly #log: Logger;
  // Log the change of state, not every request: an outage at 1000 rps must not flood the logs.
  #failing = false;

  constructor(options: EntityCacheOptions<T>) {
    this.#o = options;
    this.#redis = options.mode === 'off' ? null : options.redis;
    this.#log = options.logger.child({ component: 'cache', entity: options.entity });
  }

  get mode(): CacheMode {
    return this.#o.mode;
  }

  key(id: string): string {
    return `${this.#o.entity}:${id}`;
  }

  async get(id: string): Promise<CacheLookup<T>> {
    const lookup = await this.#lookup(id);
    const result = lookup.result === 'hit-missing' ? 'hit' : lookup.result;
    this.#o.metrics.requests.inc({ entity: this.#o.entity, result });
    return lookup;
  }

  /** After a committed write: write-through stores the value, write-around drops the key. */
  async afterWrite(value: T): Promise<void> {
    if (this.#o.mode === 'write-through') await this.#set(this.#o.idOf(value), JSON.stringify(value), this.#o.ttlSeconds, 'write_through');
    else await this.invalidate(this.#o.idOf(value));
  }

  /** Fills the cache after a miss was read from the database. */
  async populate(value: T): Promise<void> {
    await this.#set(this.#o.idOf(value), JSON.stringify(value), this.#o.ttlSeconds, 'populate');
  }

  /** Remembers for a short TTL that `id` does not exist, so repeated lookups skip the database. */
  async populateMissing(id: string): Promise<void> {
    await this.#set(id, MISSING, this.#o.negativeTtlSeconds, 'populate');
  }

  async invalidate(id: string): Promise<void> {
    if (this.#redis === null) return;
    try {
      await this.#redis.del(this.key(id));
      this.#recovered();
    } catch (err) {
      this.#degrade('invalidate', err, id);
    }
  }

  async #lookup(id: string): Promise<CacheLookup<T>> {
    if (this.#redis === null) return { result: 'bypass' };
    let raw: string | null;
    try {
      raw = await this.#redis.get(this.key(id));
    } catch (err) {
      this.#degrade('get', err, id);
      return { result: 'bypass' };
    }
    this.#recovered();
    if (raw === null) return { result: 'miss' };
    if (raw === MISSING) return { result: 'hit-missing' };
    const value = this.#parse(raw);
    if (value === undefined || this.#o.idOf(value) !== id) {
      // A value we cannot read is as good as none: the database answers and overwrites it.
      this.#log.warn({ id }, 'unreadable cache entry; treating as a miss');
      return { result: 'miss' };
    }
    return { result: 'hit', value };
  }

  #parse(raw: string): T | undefined {
    try {
      return this.#o.parse(JSON.parse(raw));
    } catch {
      return undefined;
    }
  }

  async #set(id: string, raw: string, ttl: number, op: string): Promise<void> {
    if (this.#redis === null) return;
    try {
      await this.#redis.set(this.key(id), raw, 'EX', ttl);
      this.#recovered();
    } catch (err) {
      this.#degrade(op, err, id);
    }
  }

  #degrade(op: string, err: unknown, id: string): void {
    this.#o.metrics.degraded.inc({ entity: this.#o.entity, op });
    if (this.#failing) {
      this.#log.debug({ err, op, id }, 'cache still unavailable');
      return;
    }
    this.#failing = true;
    this.#log.warn({ err, op, id }, 'cache unavailable; serving without it');
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#log.info('cache available again');
  }
}

export function createEntityCache<T>(options: EntityCacheOptions<T>): EntityCache<T> {
  return new EntityCache(options);
}
