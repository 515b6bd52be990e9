import { createListPolicy } from './list-policy.js';
import type { ReplacementPolicy } from './policy.js';

/**
 * Last in, first out: the most recently inserted key goes first (hits do not move a key; the
 * cache evicts before it inserts). The oldest keys stay for good: a baseline, not a choice.
 */
export function createLifo(): ReplacementPolicy {
  return createListPolicy('lifo', { move: false, victim: 'back' });
}
