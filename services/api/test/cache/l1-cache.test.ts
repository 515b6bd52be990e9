import { describe, expect, it } from 'vitest';
import { createL1Cache } from '../../src/cache/l1-cache.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('L1 cache (LRU with a TTL)', () => {
  it('evicts the least recently used entry once full; a get counts as a use', () => {
    const l1 = createL1Cache<number>({ maxEntries: 2, ttlMs: 1000 });
    l1.set('a', 1);
    l1.set('b', 2);
    expect(l1.get('a')).toBe(1); // b is now the least recently used
    l1.set('c', 3);
    expect(l1.size).toBe(2);
    expect(l1.get('b')).toBeUndefined();
    expect(l1.get('a')).toBe(1);
    expect(l1.get('c')).toBe(3);
  });

  it('re-setting a key replaces its value and makes it the most recent', () => {
    const l1 = createL1Cache<string>({ maxEntries: 2, ttlMs: 1000 });
    l1.set('a', 'old');
    l1.set('b', 'b');
    l1.set('a', 'new');
    l1.set('c', 'c');
    expect(l1.get('a')).toBe('new');
    expect(l1.get('b')).toBeUndefined();
  });

  it('serves an entry for its TTL only, and a hit does not extend it', () => {
    const c = clock();
    const l1 = createL1Cache<number>({ maxEntries: 10, ttlMs: 100, now: c.now });
    l1.set('a', 1);
    c.advance(60);
    expect(l1.get('a')).toBe(1);
    c.advance(39);
    expect(l1.get('a')).toBe(1);
    c.advance(1);
    expect(l1.get('a')).toBeUndefined();
    expect(l1.size).toBe(0);
  });

  it('deletes on demand and reports whether the key was there', () => {
    const l1 = createL1Cache<number>({ maxEntries: 10, ttlMs: 100 });
    l1.set('a', 1);
    expect(l1.delete('a')).toBe(true);
    expect(l1.delete('a')).toBe(false);
    expect(l1.get('a')).toBeUndefined();
  });

  it('is disabled with 0 entries: nothing is stored', () => {
    const l1 = createL1Cache<number>({ maxEntries: 0, ttlMs: 100 });
    expect(l1.enabled).toBe(false);
    l1.set('a', 1);
    expect(l1.get('a')).toBeUndefined();
  });
});
