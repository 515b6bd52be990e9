import type { ReplacementPolicy } from './policy.js';

/**
 * Random replacement: any cached key, uniformly. Keys sit in an array with their index in a Map;
 * a removal swaps the last key into the hole, so insert, remove and pick are O(1).
 */
export function createRandom(random: () => number): ReplacementPolicy {
  const keys: string[] = [];
  const index = new Map<string, number>();
  return {
    name: 'random',
    inserted: (key) => {
      if (index.has(key)) return;
      index.set(key, keys.length);
      keys.push(key);
    },
    accessed: () => undefined,
    removed: (key) => {
      const at = index.get(key);
      if (at === undefined) return;
      const last = keys.pop()!;
      index.delete(key);
      if (at < keys.length) {
        keys[at] = last;
        index.set(last, at);
      }
    },
    victim: () => (keys.length === 0 ? undefined : keys[Math.floor(random() * keys.length)]),
  };
}
