import { KeyList } from './key-list.js';
import type { ReplacementPolicy, ReplacementPolicyName } from './policy.js';

/**
 * The four policies that only order keys in one list: keys join at the back; `move` says whether
 * a hit moves the key to the back (recency: LRU, MRU) or not (insertion order: FIFO, LIFO), and
 * `victim` which end goes first.
 */
export function createListPolicy(
  name: ReplacementPolicyName,
  options: { readonly move: boolean; readonly victim: 'front' | 'back' },
): ReplacementPolicy {
  const order = new KeyList();
  return {
    name,
    inserted: (key) => order.pushBack(key),
    accessed: (key) => {
      if (options.move) order.pushBack(key);
    },
    removed: (key) => void order.remove(key),
    victim: () => (options.victim === 'front' ? order.front() : order.back()),
  };
}
