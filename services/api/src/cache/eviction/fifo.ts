import { createListPolicy } from './list-policy.js';
import type { ReplacementPolicy } from './policy.js';

/** First in, first out: insertion order only (hits and re-stores do not move a key). */
export function createFifo(): ReplacementPolicy {
  return createListPolicy('fifo', { move: false, victim: 'front' });
}
