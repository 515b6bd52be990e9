import { createReplacementPolicy, type ReplacementPolicy, type ReplacementPolicyName } from './eviction/policy.js';

export interface L1CacheOptions {
  /** Most entries kept; when full, the replacement policy picks the one to drop. 0 disables the cache. */
  readonly maxEntries: number;
  /** How long an entry may be served, ms: the staleness bound when invalidations are late or lost. */
  readonly ttlMs: number;
  /** Which entry a full cache gives up (see eviction/); default lru. */
  readonly policy?: ReplacementPolicyName;
  /** Called once per entry dropped to make room (not for expiry or delete). */
  readonly onEvict?: (key: string) => void;
  /** Clock, ms (tests); default performance.now. */
  readonly now?: () => number;
  /** Uniform in [0, 1) for the random policy (tests); default Math.random. */
  readonly random?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * A bounded in-process cache with a TTL per entry and a pluggable replacement policy. Every
 * policy shares the TTL rules: an entry is served until `ttlMs` after it was stored, a hit never
 * extends it, and an expired entry found by a get is dropped (an expiry, not an eviction). A full
 * cache evicts before it inserts, so a new key is never its own victim (MRU, LIFO).
 */
export class L1Cache<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onEvict: ((key: string) => void) | undefined;
  readonly #policy: ReplacementPolicy;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(options: L1CacheOptions) {
    this.#max = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onEvict = options.onEvict;
    this.#policy = createReplacementPolicy(options.policy ?? 'lru', { random: options.random });
  }

  get enabled(): boolean {
    return this.#max > 0 && this.#ttlMs > 0;
  }

  get policy(): ReplacementPolicyName {
    return this.#policy.name;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.delete(key);
      return undefined;
    }
    this.#policy.accessed(key);
    return entry.value;
  }

  set(key: string, value: V): void {
    if (!this.enabled) return;
    const entry = { value, expiresAt: this.#now() + this.#ttlMs };
    if (this.#entries.has(key)) {
      this.#entries.set(key, entry);
      this.#policy.accessed(key);
      return;
    }
    while (this.#entries.size >= this.#max) {
      const victim = this.#policy.victim();
      if (victim === undefined) break;
      this.delete(victim);
      this.#onEvict?.(victim);
    }
    this.#entries.set(key, entry);
    this.#policy.inserted(key);
  }

  /** True when the key was present (expired or not). */
  delete(key: string): boolean {
    if (!this.#entries.delete(key)) return false;
    this.#policy.removed(key);
    return true;
  }
}

export function createL1Cache<V>(options: L1CacheOptions): L1Cache<V> {
  return new L1Cache<V>(options);
}
