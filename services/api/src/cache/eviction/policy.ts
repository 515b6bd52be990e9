import { createFifo } from './fifo.js';
import { createLfu } from './lfu.js';
import { createLifo } from './lifo.js';
import { createLru } from './lru.js';
import { createMru } from './mru.js';
import { createRandom } from './random.js';

/** The L1's replacement policies (`CACHE_L1_POLICY`). */
export const REPLACEMENT_POLICIES = ['lru', 'lfu', 'fifo', 'lifo', 'mru', 'random'] as const;
export type ReplacementPolicyName = (typeof REPLACEMENT_POLICIES)[number];

/**
 * Which key a full cache gives up. The cache tells the policy about every key it stores, reads
 * and drops; the policy only orders keys (values and TTLs stay in the cache). Every method is O(1).
 */
export interface ReplacementPolicy {
  readonly name: ReplacementPolicyName;
  /** A key new to the cache. */
  inserted(key: string): void;
  /** A hit, or a present key stored again. */
  accessed(key: string): void;
  /** The key left the cache (evicted, expired, invalidated). */
  removed(key: string): void;
  /** The key to evict next; undefined when empty. Does not remove it. */
  victim(): string | undefined;
}

export interface ReplacementPolicyOptions {
  /** Uniform in [0, 1) (random policy only); default Math.random. */
  readonly random?: () => number;
}

export function createReplacementPolicy(
  name: ReplacementPolicyName,
  options: ReplacementPolicyOptions = {},
): ReplacementPolicy {
  switch (name) {
    case 'lru':
      return createLru();
    case 'lfu':
      return createLfu();
    case 'fifo':
      return createFifo();
    case 'lifo':
      return createLifo();
    case 'mru':
      return createMru();
    case 'random':
      return createRandom(options.random ?? Math.random);
  }
}
