import { createListPolicy } from './list-policy.js';
import type { ReplacementPolicy } from './policy.js';

/** Least recently used: every access moves the key to the back; the front goes first. */
export function createLru(): ReplacementPolicy {
  return createListPolicy('lru', { move: true, victim: 'front' });
}
