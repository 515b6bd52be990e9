import { KeyList } from './key-list.js';
import type { ReplacementPolicy } from './policy.js';

/**
 * Least frequently used in O(1) (Shah, Mitra, Matani 2010): one list of keys per use count, and
 * the lowest non-empty count. The victim is the least recently used key of the lowest count. A
 * key's count starts at 1 on insert and is forgotten when it leaves (no aging: a key that was hot
 * long ago keeps its count while it stays cached).
 */
export function createLfu(): ReplacementPolicy {
  const counts = new Map<string, number>();
  const buckets = new Map<number, KeyList>();
  let min = 0;

  const bucket = (count: number): KeyList => {
    let list = buckets.get(count);
    if (list === undefined) {
      list = new KeyList();
      buckets.set(count, list);
    }
    return list;
  };
  /** Takes `key` out of its count's list; true when that list is now empty (and dropped). */
  const unlink = (key: string, count: number): boolean => {
    const list = buckets.get(count);
    list?.remove(key);
    if (list === undefined || list.size > 0) return false;
    buckets.delete(count);
    return true;
  };

  return {
    name: 'lfu',
    inserted: (key) => {
      counts.set(key, 1);
      bucket(1).pushBack(key);
      min = 1;
    },
    accessed: (key) => {
      const count = counts.get(key);
      if (count === undefined) return;
      if (unlink(key, count) && min === count) min = count + 1;
      counts.set(key, count + 1);
      bucket(count + 1).pushBack(key);
    },
    removed: (key) => {
      const count = counts.get(key);
      if (count === undefined) return;
      counts.delete(key);
      // Every remaining count is above `min` still; victim() walks up to the next one that exists.
      unlink(key, count);
    },
    victim: () => {
      if (counts.size === 0) return undefined;
      // Only when an invalidation or expiry emptied the lowest list and no insert followed (the
      // L1 inserts right after it evicts, so in practice never): a walk over unused counts.
      while (!buckets.has(min)) min += 1;
      return buckets.get(min)!.front();
    },
  };
}
