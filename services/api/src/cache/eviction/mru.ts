import { createListPolicy } from './list-policy.js';
import type { ReplacementPolicy } from './policy.js';

/**
 * Most recently used: every access moves the key to the back and the back goes first (the cache
 * evicts before it inserts, so a new key is not its own victim). Suits cyclic scans larger than
 * the cache, where the key just used is the one needed last.
 */
export function createMru(): ReplacementPolicy {
  return createListPolicy('mru', { move: true, victim: 'back' });
}
