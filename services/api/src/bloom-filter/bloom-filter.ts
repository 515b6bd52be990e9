import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import { loadRedisScript, type Redis, type RedisScript } from '@sdl/redis';
import { bloomHashes } from './bloom-sizing.js';

const scriptsDir = new URL('../../src/bloom-filter/scripts/', import.meta.url);

/**
 * What the filter says of an id: surely `absent`, `maybe` present, or nothing (`bypass`: no usable
 * filter; `off`: switched off, BLOOM_FILTER): ask the database.
 */
export type BloomCheck = 'absent' | 'maybe' | 'bypass' | 'off';

/** Shared by every entity's filter (one registration per registry). */
export interface BloomMetrics {
  readonly checks: Counter<'entity' | 'result'>;
  readonly falsePositives: Counter<'entity'>;
  readonly deferredAdds: Counter<'entity'>;
  readonly missingReads: Counter<'entity' | 'filter'>;
}

export function createBloomMetrics(registry: Registry): BloomMetrics {
  return {
    checks: new Counter({
      name: 'api_bloom_checks_total',
      help: 'Bloom filter checks before a database read (absent: answered 404 without the query, i.e. a query saved; maybe: the database was asked; bypass: no usable filter, the database was asked)',
      labelNames: ['entity', 'result'] as const,
      registers: [registry],
    }),
    falsePositives: new Counter({
      name: 'api_bloom_false_positives_total',
      help: 'Checks that said maybe for an id the database did not have (false positives, and deleted ids: a Bloom filter cannot forget)',
      labelNames: ['entity'] as const,
      registers: [registry],
    }),
    deferredAdds: new Counter({
      name: 'api_bloom_deferred_adds_total',
      help: 'Ids a create could not add (Redis unavailable), kept on the node and added before its next check',
      labelNames: ['entity'] as const,
      registers: [registry],
    }),
    missingReads: new Counter({
      name: 'api_bloom_missing_reads_total',
      help: 'Database reads for an id the database did not have (cache penetration), by what the filter had said (filter: maybe, a false positive; bypass, no usable filter; off, switched off)',
      labelNames: ['entity', 'filter'] as const,
      registers: [registry],
    }),
  };
}

/** The scripts of the filter and its rebuild (see scripts/*.lua). */
export interface BloomScripts {
  readonly check: RedisScript;
  readonly add: RedisScript;
  readonly begin: RedisScript;
  readonly renew: RedisScript;
  readonly swap: RedisScript;
  readonly abort: RedisScript;
}

export function loadBloomScripts(): BloomScripts {
  const load = (name: string): RedisScript => loadRedisScript(name, scriptsDir);
  return {
    check: load('bloom-check'),
    add: load('bloom-add'),
    begin: load('bloom-rebuild-begin'),
    renew: load('bloom-rebuild-renew'),
    swap: load('bloom-rebuild-swap'),
    abort: load('bloom-rebuild-abort'),
  };
}

/** The filter's meta hash (the hash tag keeps its bits and lease in the same cluster slot). */
export const bloomKey = (entity: string): string => `{bloom:${entity}}`;

/** The (h1, h2) pairs of `ids`, flat, as the add script takes them. */
export const hashPairs = (ids: readonly string[]): number[] => ids.flatMap((id) => bloomHashes(id));

export interface BloomFilterOptions {
  readonly entity: string;
  /** null (no cache Redis) or `enabled: false`: every check is a bypass and adds do nothing. */
  readonly redis: Redis | null;
  /**
   * A function: the run-time switch (BloomSwitch), read at each check: `rebuilding` checks say
   * bypass, `off` ones off; adds go on whatever it says, so the filter stays complete while off.
   */
  readonly enabled: boolean | (() => 'off' | 'rebuilding' | 'on');
  readonly logger: Logger;
  readonly metrics: BloomMetrics;
  /** Ids kept on the node while Redis is unavailable (default 10,000); beyond: the filter is marked stale. */
  readonly maxDeferred?: number;
}

/**
 * A Bloom filter of one entity's existing ids, its bits in the cache Redis (SETBIT/GETBIT in Lua,
 * sized by the rebuild; see bloom-rebuild.ts). It fails open: no filter, Redis down or an add not
 * yet delivered, and the check says `bypass`, so the database answers; it never says `absent`
 * for an id this node has created. An add that fails is kept and delivered before this node's
 * next check; if too many pile up, the filter is marked stale (every node bypasses it until a rebuild).
 */
export class BloomFilter {
  readonly entity: string;
  readonly #o: BloomFilterOptions;
  readonly #redis: Redis | null;
  readonly #key: string;
  readonly #scripts = loadBloomScripts();
  readonly #log: Logger;
  readonly #state: () => 'off' | 'rebuilding' | 'on';
  #deferred: number[] = [];
  #overflowed = false;
  #delivering: Promise<boolean> | undefined;

  constructor(options: BloomFilterOptions) {
    this.#o = options;
    this.entity = options.entity;
    const { enabled } = options;
    this.#redis = enabled === false ? null : options.redis;
    this.#state = typeof enabled === 'function' ? enabled : () => 'on';
    this.#key = bloomKey(options.entity);
    this.#log = options.logger.child({ component: 'bloom-filter', entity: options.entity });
    for (const result of ['absent', 'maybe', 'bypass']) options.metrics.checks.inc({ entity: this.entity, result }, 0);
    options.metrics.falsePositives.inc({ entity: this.entity }, 0);
    options.metrics.deferredAdds.inc({ entity: this.entity }, 0);
    for (const filter of ['maybe', 'bypass', 'off'])
      options.metrics.missingReads.inc({ entity: this.entity, filter }, 0);
    // Deliver what was deferred as soon as Redis is back, not only at this node's next check.
    this.#redis?.on('ready', () => void this.#deliver());
  }

  /** Whether checks ask Redis now (a cache Redis, and switched on). */
  get enabled(): boolean {
    return this.#redis !== null && this.#state() === 'on';
  }

  async check(id: string): Promise<BloomCheck> {
    const state = this.#state();
    if (state === 'off') return 'off';
    const result = state === 'rebuilding' ? 'bypass' : await this.#check(id);
    if (this.#redis !== null) this.#o.metrics.checks.inc({ entity: this.entity, result });
    return result;
  }

  async #check(id: string): Promise<BloomCheck> {
    if (this.#redis === null) return 'bypass';
    // An id this node created but could not add would read as absent: deliver it first.
    if (!(await this.#deliver())) return 'bypass';
    try {
      const reply = await this.#scripts.check.run(this.#redis, [this.#key], bloomHashes(id));
      return reply === 0 ? 'absent' : reply === 1 ? 'maybe' : 'bypass';
    } catch (err) {
      this.#log.debug({ err, id }, 'bloom check failed; reading the database');
      return 'bypass';
    }
  }

  /** Adds `id` to every generation; never throws (an undelivered add is kept, see the class). */
  async add(id: string): Promise<void> {
    if (this.#redis === null) return;
    const pair = bloomHashes(id);
    if (!(await this.#deliver())) {
      this.#defer(pair);
      return;
    }
    try {
      await this.#scripts.add.run(this.#redis, [this.#key], pair);
    } catch (err) {
      this.#log.warn({ err, id }, 'bloom add failed; kept until Redis answers');
      this.#defer(pair);
    }
  }

  /** The database had no such id, after the filter said `check` (maybe: a false positive). */
  countMissingRead(check: Exclude<BloomCheck, 'absent'>): void {
    if (check === 'maybe') this.#o.metrics.falsePositives.inc({ entity: this.entity });
    this.#o.metrics.missingReads.inc({ entity: this.entity, filter: check });
  }

  #defer(pair: readonly number[]): void {
    this.#o.metrics.deferredAdds.inc({ entity: this.entity });
    if (this.#deferred.length / 2 >= (this.#o.maxDeferred ?? 10_000)) {
      this.#overflowed = true;
      this.#deferred = [];
    }
    if (!this.#overflowed) this.#deferred.push(...pair);
  }

  /** True when nothing is left undelivered; one delivery at a time, so none is dropped or skipped. */
  async #deliver(): Promise<boolean> {
    while (this.#deferred.length > 0 || this.#overflowed) {
      this.#delivering ??= this.#deliverOnce().finally(() => (this.#delivering = undefined));
      if (!(await this.#delivering)) return false;
    }
    return true;
  }

  async #deliverOnce(): Promise<boolean> {
    if (this.#redis === null) return true;
    const pairs = this.#deferred;
    try {
      if (this.#overflowed) {
        // Too many ids were lost to keep: no generation may answer "absent" until a rebuild.
        await this.#redis.hdel(
          this.#key,
          'live',
          'liveBits',
          'liveHashes',
          'building',
          'buildingBits',
          'buildingHashes',
        );
        this.#log.warn('bloom filter marked stale (too many adds lost while Redis was away); rebuild it');
        this.#overflowed = false;
        return true;
      }
      await this.#scripts.add.run(this.#redis, [this.#key], pairs);
      // Only this delivery removes, and only what it sent; adds deferred meanwhile stay.
      this.#deferred = this.#deferred.slice(pairs.length);
      this.#log.info({ ids: pairs.length / 2 }, 'deferred bloom adds delivered');
      return true;
    } catch {
      return false;
    }
  }
}

export function createBloomFilter(options: BloomFilterOptions): BloomFilter {
  return new BloomFilter(options);
}
