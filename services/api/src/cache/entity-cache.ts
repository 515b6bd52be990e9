import type { Logger } from '@sdl/logging';
import type { TimingSink } from '@sdl/server';
import type { Redis } from '@sdl/redis';
import type { CacheMetrics } from './cache-metrics.js';
import { createL1Cache, type L1Cache } from './l1-cache.js';
import { createFillLease, type FillLease } from './fill-lease.js';
import type { ReplacementPolicyName } from './eviction/policy.js';
import { readWithExpiry, refreshEarly, storeWithDelta } from './xfetch.js';

/** How an entity uses the cache; `off` makes every read a bypass and skips every write. */
export type CacheMode = 'write-through' | 'write-around' | 'off';

/** What a cache read found: the value, a remembered absence, nothing, or no answer from Redis. */
export type CacheLookup<T> =
  | { readonly result: 'hit'; readonly value: T; readonly refreshEarly?: boolean }
  | { readonly result: 'hit-missing' }
  | { readonly result: 'miss' }
  | { readonly result: 'bypass' };

export type CacheResult = 'hit' | 'miss' | 'bypass';

export { createCacheMetrics, type CacheMetrics } from './cache-metrics.js';

/** The values of `api_cache_degraded_total{op}` and `api_cache_fill_lease_total{outcome}`. */
const DEGRADED_OPS = ['get', 'write_through', 'populate', 'invalidate'] as const;
const FILL_OUTCOMES = ['won', 'waited', 'fallback', 'superseded'] as const;
type DegradedOp = (typeof DEGRADED_OPS)[number];

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
  /** Cross-node fill lease TTL, ms (see stampede-lease.ts); 0 or absent: none. */
  readonly fillLeaseMs?: number;
  /** XFetch early refresh of hot keys (see xfetch.ts): its beta; 0 or absent: off. */
  readonly xfetchBeta?: number;
  /** In-process L1 in front of Redis; absent or 0 entries: none (`configureL1` changes it at run time). */
  readonly l1?: L1Shape;
  /** The request's `Server-Timing` (`api-cache`: L1 and Redis, not the database reads of a fill). */
  readonly timing?: TimingSink;
}

/** The L1's size, entry lifetime and replacement policy (CACHE_L1_ENTRIES, _TTL_MS, _POLICY). */
export interface L1Shape {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly policy?: ReplacementPolicyName;
}

/** What the L1 keeps: the value or the remembered absence. */
type Known<T> = { readonly result: 'hit'; readonly value: T } | { readonly result: 'hit-missing' };

/** The answer of a fill after a miss, and how this request is to be reported in `x-cache`. */
export interface Filled<T> {
  readonly value: T | undefined;
  readonly cache: CacheResult;
  /** False when another node's fill answered (no database read here). */
  readonly readDatabase: boolean;
}

// Stored for ids known not to exist; no entity serialises to this.
const MISSING = '{"$missing":true}';

/**
 * One entity type in Redis under `<entity>:<id>` as JSON, with a TTL. Redis is an optimisation,
 * never a dependency: every failure degrades (a read to `bypass`, a write-through to
 * write-around) and is counted in `api_cache_degraded_total`, never surfaced to the client.
 * Optionally a fill lease after a miss (one database read cluster-wide) and an in-process L1
 * whose entries live at most its TTL (other nodes' writes drop them earlier via `evictLocal`).
 */
export class EntityCache<T> {
  readonly #o: EntityCacheOptions<T>;
  readonly #redis: Redis | null;
  readonly #log: Logger;
  readonly #lease: FillLease | undefined;
  #l1: L1Cache<Known<T>> | undefined;
  // Ids whose local fill (Redis down) is reading the database; a write or invalidation removes the
  // id, so the fill does not store what it read before that change.
  readonly #localFills = new Set<string>();
  // Log the change of state, not every request: an outage at 1000 rps must not flood the logs.
  #failing = false;

  constructor(options: EntityCacheOptions<T>) {
    this.#o = options;
    this.#redis = options.mode === 'off' ? null : options.redis;
    this.#log = options.logger.child({ component: 'cache', entity: options.entity });
    const leaseMs = options.fillLeaseMs ?? 0;
    this.#lease = this.#redis !== null && leaseMs > 0 ? createFillLease({ redis: this.#redis, leaseMs }) : undefined;
    if (options.l1 !== undefined) this.configureL1(options.l1);
    // Every series at 0 from the start: a dashboard shows "no failures yet", not "no data".
    for (const op of DEGRADED_OPS) options.metrics.degraded.inc({ entity: options.entity, op }, 0);
    for (const outcome of FILL_OUTCOMES) options.metrics.fills.inc({ entity: options.entity, outcome }, 0);
  }

  get mode(): CacheMode {
    return this.#o.mode;
  }

  /** True when an L1 is in use (then a read with Redis unavailable fills it: `fillLocal`). */
  get hasL1(): boolean {
    return this.#l1 !== undefined;
  }

  /**
   * Replaces the L1 with a new, empty one of this shape (run-time settings; 0 entries turns it
   * off). Its entries go with it: the next reads refill it. Nothing else holds the L1 (the
   * invalidation handler goes through `evictLocal`), so no reference to the old one remains.
   */
  configureL1(shape: L1Shape): void {
    const { entity, metrics } = this.#o;
    const policy = shape.policy ?? 'lru';
    const l1 =
      this.#o.mode === 'off'
        ? undefined
        : createL1Cache<Known<T>>({ ...shape, onEvict: () => metrics.l1Replaced.inc({ entity, policy }) });
    this.#l1 = l1?.enabled === true ? l1 : undefined;
  }

  key(id: string): string {
    return `${this.#o.entity}:${id}`;
  }

  /** Runs `fn` into the request's `cache` time, minus what `fn` spent in `database`. */
  async #timed<R>(fn: (database: <V>(load: () => Promise<V>) => Promise<V>) => Promise<R>): Promise<R> {
    const timing = this.#o.timing;
    if (timing === undefined) return fn((load) => load());
    const started = performance.now();
    let inDatabase = 0;
    try {
      return await fn(async (load) => {
        const loadStarted = performance.now();
        try {
          return await load();
        } finally {
          inDatabase += performance.now() - loadStarted;
        }
      });
    } finally {
      timing.add('cache', performance.now() - started - inDatabase);
    }
  }

  async get(id: string): Promise<CacheLookup<T>> {
    return this.#timed(() => this.#get(id));
  }

  async #get(id: string): Promise<CacheLookup<T>> {
    const lookup = this.#fromL1(id) ?? (await this.#lookup(id));
    const result = lookup.result === 'hit-missing' ? 'hit' : lookup.result;
    this.#o.metrics.requests.inc({ entity: this.#o.entity, result });
    return lookup;
  }

  /** After a committed write: write-through stores the value, write-around drops the key. */
  async afterWrite(value: T): Promise<void> {
    return this.#timed(() => this.#afterWrite(value));
  }

  async #afterWrite(value: T): Promise<void> {
    const id = this.#o.idOf(value);
    this.#localFills.delete(id);
    if (this.#o.mode === 'write-through') {
      // This node just committed the value: its own L1 may serve it even if Redis fails.
      this.#l1?.set(id, { result: 'hit', value });
      await this.#write(id, JSON.stringify(value), this.#o.ttlSeconds, 'write_through');
    } else await this.invalidate(id);
  }

  /**
   * After a miss: reads the database through the fill lease (one read cluster-wide; a waiter is
   * answered by another node's fill and reported as `hit`) and stores the answer in the cache.
   */
  async fill(id: string, load: () => Promise<T | undefined>): Promise<Filled<T>> {
    return this.#timed((database) => this.#fill(id, () => database(load)));
  }

  async #fill(id: string, load: () => Promise<T | undefined>): Promise<Filled<T>> {
    const loadAndStore = async (): Promise<Filled<T>> => {
      const started = performance.now();
      const value = await load();
      // Without a lease a fill is stored unconditionally (the classic cache-aside race, see README).
      const { raw, ttl, known } = this.#encode(value);
      this.#l1?.set(id, known);
      await this.#set(id, raw, ttl, 'populate', performance.now() - started);
      return { value, cache: 'miss', readDatabase: true };
    };
    const lease = this.#lease;
    if (lease === undefined) return loadAndStore();
    const { result, outcome } = await lease.fill<Filled<T>>({
      key: this.key(id),
      // Only the lease holder stores, and only if no write ended its lease meanwhile (a fallback
      // read serves its answer without storing it: it could be older than a write's value).
      load: async (token) => {
        const value = await load();
        if (token !== undefined) await this.#storeFill(lease, id, value, token);
        return { value, cache: 'miss', readDatabase: true };
      },
      decode: (raw) => {
        const found = this.#decode(id, raw);
        if (found.result === 'miss') return undefined;
        this.#l1?.set(id, found);
        return { value: found.result === 'hit' ? found.value : undefined, cache: 'hit', readDatabase: false };
      },
    });
    this.#o.metrics.fills.inc({ entity: this.#o.entity, outcome });
    return result;
  }

  /**
   * XFetch's early refresh of a hit that drew `refreshEarly`: reads the database and stores the
   * value with its recompute time and a fresh TTL, unconditionally (like a fill without a lease:
   * a write racing it may be overwritten by the older value until the TTL, see README).
   */
  async refresh(id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const started = performance.now();
    let value: T | undefined;
    try {
      value = await load();
    } catch (err) {
      this.#o.metrics.earlyRefreshes.inc({ entity: this.#o.entity, outcome: 'failed' });
      throw err;
    }
    const { raw, ttl, known } = this.#encode(value);
    this.#l1?.set(id, known);
    await this.#set(id, raw, ttl, 'populate', performance.now() - started);
    this.#o.metrics.earlyRefreshes.inc({ entity: this.#o.entity, outcome: 'refreshed' });
    return value;
  }

  /**
   * With Redis unavailable the L1 is the only cache: a database read (of the primary) fills it
   * alone, unless a write or invalidation of the id came while it read. Without an L1: `load`.
   */
  async fillLocal(id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.#l1 === undefined) return load();
    this.#localFills.add(id);
    try {
      const value = await load();
      if (this.#localFills.has(id)) this.#l1?.set(id, this.#encode(value).known);
      return value;
    } finally {
      this.#localFills.delete(id);
    }
  }

  /** Drops the L1 entry only (another node changed the entity; Redis is already up to date). */
  evictLocal(id: string): void {
    this.#evictL1(id, 'event');
  }

  /** After a committed delete: the id is known missing (this is a write: it ends any fill lease). */
  async afterDelete(id: string): Promise<void> {
    return this.#timed(async () => {
      this.#localFills.delete(id);
      this.#l1?.set(id, { result: 'hit-missing' });
      await this.#write(id, MISSING, this.#o.negativeTtlSeconds, 'invalidate');
    });
  }

  async invalidate(id: string): Promise<void> {
    this.#evictL1(id, 'write');
    if (this.#redis === null) return;
    try {
      // The fill lease goes with the value: a fill in flight must not store what it read before.
      await this.#redis.del(this.key(id), `${this.key(id)}:fill`);
      this.#recovered();
    } catch (err) {
      this.#degrade('invalidate', err, id);
    }
  }

  /** Redis only; what it knows is copied to the L1 (an L1 hit never renews its own TTL). */
  async #lookup(id: string): Promise<CacheLookup<T>> {
    if (this.#redis === null) return { result: 'bypass' };
    const beta = this.#o.xfetchBeta ?? 0;
    let raw: string | null;
    let early = false;
    try {
      if (beta > 0) {
        const read = await readWithExpiry(this.#redis, this.key(id));
        raw = read.raw;
        early = refreshEarly(read.deltaMs, beta, read.ttlLeftMs, Math.random);
      } else raw = await this.#redis.get(this.key(id));
    } catch (err) {
      this.#degrade('get', err, id);
      return { result: 'bypass' };
    }
    this.#recovered();
    if (raw === null) return { result: 'miss' };
    const found = this.#decode(id, raw);
    if (found.result !== 'miss') this.#l1?.set(id, found);
    return early && found.result === 'hit' ? { ...found, refreshEarly: true } : found;
  }

  #decode(id: string, raw: string): Known<T> | { readonly result: 'miss' } {
    if (raw === MISSING) return { result: 'hit-missing' };
    const value = this.#parse(raw);
    if (value === undefined || this.#o.idOf(value) !== id) {
      // A value we cannot read is as good as none: the database answers and overwrites it.
      this.#log.warn({ id }, 'unreadable cache entry; treating as a miss');
      return { result: 'miss' };
    }
    return { result: 'hit', value };
  }

  #fromL1(id: string): Known<T> | undefined {
    if (this.#l1 === undefined) return undefined;
    const known = this.#l1.get(id);
    this.#o.metrics.l1.inc({ entity: this.#o.entity, result: known === undefined ? 'miss' : 'hit' });
    return known;
  }

  #evictL1(id: string, source: 'write' | 'event'): void {
    this.#localFills.delete(id);
    if (this.#l1?.delete(id) === true) this.#o.metrics.l1Evictions.inc({ entity: this.#o.entity, source });
  }

  #parse(raw: string): T | undefined {
    try {
      return this.#o.parse(JSON.parse(raw));
    } catch {
      return undefined;
    }
  }

  /** What a fill stores: the value for the TTL, or (missing id) the negative marker for its short TTL. */
  #encode(value: T | undefined): { raw: string; ttl: number; known: Known<T> } {
    return value === undefined
      ? { raw: MISSING, ttl: this.#o.negativeTtlSeconds, known: { result: 'hit-missing' } }
      : { raw: JSON.stringify(value), ttl: this.#o.ttlSeconds, known: { result: 'hit', value } };
  }

  /** A fill's store, refused once a write ended the lease; the L1 learns only what was stored. */
  async #storeFill(lease: FillLease, id: string, value: T | undefined, token: string): Promise<void> {
    const { raw, ttl, known } = this.#encode(value);
    try {
      const stored = await lease.store(this.key(id), token, raw, ttl);
      this.#recovered();
      if (stored) this.#l1?.set(id, known);
      else this.#o.metrics.fills.inc({ entity: this.#o.entity, outcome: 'superseded' });
    } catch (err) {
      this.#degrade('populate', err, id);
    }
  }

  /** A write's cache update: the fill lease is deleted first, in the same MULTI, then the value set. */
  async #write(id: string, raw: string, ttl: number, op: DegradedOp): Promise<void> {
    if (this.#redis === null) return;
    try {
      const results = await this.#redis
        .multi()
        .del(`${this.key(id)}:fill`)
        .set(this.key(id), raw, 'EX', ttl)
        .exec();
      const failed = results?.find(([err]) => err !== null)?.[0];
      if (failed) throw failed;
      this.#recovered();
    } catch (err) {
      this.#degrade(op, err, id);
    }
  }

  /** With XFetch on, the recompute time `deltaMs` is stored beside the value. */
  async #set(id: string, raw: string, ttl: number, op: DegradedOp, deltaMs: number): Promise<void> {
    if (this.#redis === null) return;
    try {
      if ((this.#o.xfetchBeta ?? 0) > 0) await storeWithDelta(this.#redis, this.key(id), raw, ttl, deltaMs);
      else await this.#redis.set(this.key(id), raw, 'EX', ttl);
      this.#recovered();
    } catch (err) {
      this.#degrade(op, err, id);
    }
  }

  #degrade(op: DegradedOp, err: unknown, id: string): void {
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
