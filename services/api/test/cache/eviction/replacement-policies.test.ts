import { describe, expect, it } from 'vitest';
import { createL1Cache, type L1Cache } from '../../../src/cache/l1-cache.js';
import { REPLACEMENT_POLICIES, type ReplacementPolicyName } from '../../../src/cache/eviction/policy.js';

/** A 3-entry L1 with `policy` and the keys it evicted, in order. */
function l1With(
  policy: ReplacementPolicyName,
  options: { random?: () => number; now?: () => number; ttlMs?: number } = {},
): { l1: L1Cache<string>; evicted: string[] } {
  const evicted: string[] = [];
  const l1 = createL1Cache<string>({
    maxEntries: 3,
    ttlMs: options.ttlMs ?? 60_000,
    policy,
    onEvict: (key) => evicted.push(key),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { l1, evicted };
}

const put = (l1: L1Cache<string>, ...keys: string[]) => keys.forEach((k) => l1.set(k, k));
const hit = (l1: L1Cache<string>, ...keys: string[]) => keys.forEach((k) => expect(l1.get(k)).toBe(k));

describe('L1 replacement policies: exact victims', () => {
  it('lru evicts the least recently used key', () => {
    const { l1, evicted } = l1With('lru');
    put(l1, 'a', 'b', 'c');
    hit(l1, 'a'); // order b c a
    put(l1, 'd'); // evicts b: c a d
    hit(l1, 'c'); // a d c
    put(l1, 'e'); // evicts a
    expect(evicted).toEqual(['b', 'a']);
    hit(l1, 'c', 'd', 'e');
  });

  it('mru evicts the most recently used key, never the one being inserted', () => {
    const { l1, evicted } = l1With('mru');
    put(l1, 'a', 'b', 'c');
    hit(l1, 'a'); // b c a
    put(l1, 'd'); // evicts a: b c d
    hit(l1, 'b'); // c d b
    put(l1, 'e'); // evicts b
    expect(evicted).toEqual(['a', 'b']);
    hit(l1, 'c', 'd', 'e');
  });

  it('fifo evicts in insertion order; hits and re-stores do not move a key', () => {
    const { l1, evicted } = l1With('fifo');
    put(l1, 'a', 'b', 'c');
    hit(l1, 'a');
    put(l1, 'd'); // evicts a
    hit(l1, 'b');
    put(l1, 'e'); // evicts b
    l1.set('c', 'c2'); // a re-store keeps c first in line
    put(l1, 'f'); // evicts c
    expect(evicted).toEqual(['a', 'b', 'c']);
    hit(l1, 'd', 'e', 'f');
  });

  it('lifo evicts the most recently inserted key', () => {
    const { l1, evicted } = l1With('lifo');
    put(l1, 'a', 'b', 'c');
    hit(l1, 'a');
    put(l1, 'd'); // evicts c
    put(l1, 'e'); // evicts d
    expect(evicted).toEqual(['c', 'd']);
    hit(l1, 'a', 'b', 'e');
  });

  it('lfu evicts the least frequently used key, the least recently used of them on a tie', () => {
    const { l1, evicted } = l1With('lfu');
    put(l1, 'a', 'b', 'c');
    hit(l1, 'a', 'a', 'b'); // a:3 b:2 c:1
    put(l1, 'd'); // evicts c (1)
    hit(l1, 'd', 'd'); // a:3 b:2 d:3
    put(l1, 'e'); // evicts b (2)
    put(l1, 'f'); // evicts e (1, the newcomer)
    hit(l1, 'f', 'f'); // a:3 d:3 f:3, a reached 3 first
    put(l1, 'g'); // evicts a
    expect(evicted).toEqual(['c', 'b', 'e', 'a']);
    hit(l1, 'd', 'f', 'g');
  });

  it('lfu forgets a removed key and finds the next lowest count after an invalidation', () => {
    const { l1, evicted } = l1With('lfu');
    put(l1, 'a', 'b', 'c');
    hit(l1, 'a', 'b', 'b', 'c', 'c', 'c'); // a:2 b:3 c:4
    l1.delete('a'); // the lowest count's list is now empty
    put(l1, 'a'); // back with 1
    put(l1, 'd'); // evicts a (1)
    hit(l1, 'd'); // d:2
    l1.delete('d');
    l1.set('b', 'b2'); // b:4
    expect(l1.get('b')).toBe('b2'); // b:5 c:4
    put(l1, 'e', 'f'); // e:1 then evicts e for f
    expect(evicted).toEqual(['a', 'e']);
    hit(l1, 'c', 'f');
  });

  it('random evicts the key its random number picks', () => {
    const draws = [0, 0.99, 0.5];
    const { l1, evicted } = l1With('random', { random: () => draws.shift()! });
    put(l1, 'a', 'b', 'c'); // slots a b c
    put(l1, 'd'); // 0 -> slot 0 = a; c fills the hole: c b d
    put(l1, 'e'); // 0.99 -> slot 2 = d: c b e
    put(l1, 'f'); // 0.5 -> slot 1 = b
    expect(evicted).toEqual(['a', 'd', 'b']);
    hit(l1, 'c', 'e', 'f');
  });
});

describe.each(REPLACEMENT_POLICIES)('L1 with %s: the shared TTL rules', (policy) => {
  it('serves an entry for its TTL only; expiry is not an eviction and frees the slot', () => {
    let t = 0;
    const { l1, evicted } = l1With(policy, { now: () => t, ttlMs: 100 });
    put(l1, 'a', 'b', 'c');
    t = 99;
    hit(l1, 'a', 'b');
    t = 100;
    expect(l1.get('c')).toBeUndefined();
    expect(l1.size).toBe(2);
    put(l1, 'd');
    expect(evicted).toEqual([]);
    expect(l1.get('d')).toBe('d');
  });

  it('never picks a deleted key and keeps at most maxEntries', () => {
    const { l1, evicted } = l1With(policy, { random: () => 0.5 });
    put(l1, 'a', 'b', 'c');
    expect(l1.delete('b')).toBe(true);
    put(l1, 'd');
    expect(evicted).toEqual([]);
    put(l1, 'e', 'f', 'g');
    expect(evicted).toHaveLength(3);
    expect(evicted).not.toContain('b');
    expect(l1.size).toBe(3);
    expect(l1.policy).toBe(policy);
  });
});
