export interface L1CacheOptions {
  /** Most entries kept; the least recently used goes first. 0 disables the cache. */
  readonly maxEntries: number;
  /** How long an entry may be served, ms: the staleness bound when invalidations are late or lost. */
  readonly ttlMs: number;
  /** Clock, ms (tests); default performance.now. */
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * A bounded in-process LRU with a TTL per entry. A Map keeps insertion order, so re-inserting on
 * every hit makes its first key the least recently used: O(1) get, set and eviction.
 */
export class L1Cache<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(options: L1CacheOptions) {
    this.#max = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
  }

  get enabled(): boolean {
    return this.#max > 0 && this.#ttlMs > 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    if (!this.enabled) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** True when the key was present (expired or not). */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }
}

export function createL1Cache<V>(options: L1CacheOptions): L1Cache<V> {
  return new L1Cache<V>(options);
}
