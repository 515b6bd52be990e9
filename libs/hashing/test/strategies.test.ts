import { describe, expect, it } from 'vitest';
import {
  boundedLoadOwner,
  createHashRing,
  createMaglev,
  createRendezvous,
  loadBound,
  murmur3,
  type HashNode,
} from '../src/index.js';

const KEYS = Array.from({ length: 20_000 }, (_, i) => murmur3(`user-${i}`));
const nodes = (n: number): HashNode[] => Array.from({ length: n }, (_, i) => ({ id: `node-${i}` }));

interface Owner {
  ownerOf(hash: number): string | undefined;
}

/** Share of keys whose owner differs between two layouts, and whether every mover went to/from `changed`. */
function moved(before: Owner, after: Owner, changed: string): { share: number; onlyChanged: boolean } {
  let count = 0;
  let onlyChanged = true;
  for (const hash of KEYS) {
    const a = before.ownerOf(hash);
    const b = after.ownerOf(hash);
    if (a === b) continue;
    count++;
    if (a !== changed && b !== changed) onlyChanged = false;
  }
  return { share: count / KEYS.length, onlyChanged };
}

// Stated tolerances for n = 10 -> 11 (ideal 1/11 = 9.1 %): the ring's share is the new node's arc
// (160 vnodes: about +-15 %); HRW is binomial around 1/n; Maglev adds a little table churn.
const N = 10;
const cases = [
  { name: 'ring', build: (ns: HashNode[]) => createHashRing(ns), low: 0.6, high: 1.4, onlyChanged: true },
  { name: 'rendezvous', build: (ns: HashNode[]) => createRendezvous(ns), low: 0.85, high: 1.15, onlyChanged: true },
  { name: 'maglev', build: (ns: HashNode[]) => createMaglev(ns, 65537), low: 0.85, high: 1.5, onlyChanged: false },
];

describe('key remapping near 1/n', () => {
  for (const c of cases) {
    it(`${c.name}: a joining node takes about 1/(n+1) of the keys`, () => {
      const result = moved(c.build(nodes(N)), c.build(nodes(N + 1)), `node-${N}`);
      const ideal = 1 / (N + 1);
      expect(result.share).toBeGreaterThan(ideal * c.low);
      expect(result.share).toBeLessThan(ideal * c.high);
      if (c.onlyChanged) expect(result.onlyChanged).toBe(true);
    });
    it(`${c.name}: a leaving node gives up about 1/n of the keys`, () => {
      const all = nodes(N);
      const gone = all[3]!;
      const result = moved(c.build(all), c.build(all.filter((n) => n !== gone)), gone.id);
      expect(result.share).toBeGreaterThan((1 / N) * c.low);
      expect(result.share).toBeLessThan((1 / N) * c.high);
      if (c.onlyChanged) expect(result.onlyChanged).toBe(true);
    });
  }

  it('modulo hashing, for contrast, moves most keys', () => {
    const mod = (n: number) => ({ ownerOf: (h: number) => `node-${h % n}` });
    expect(moved(mod(N), mod(N + 1), `node-${N}`).share).toBeGreaterThan(0.8);
  });
});

describe('maglev', () => {
  it('fills a prime table with near-equal shares', () => {
    const shares = [...createMaglev(nodes(7), 65537).shares().values()];
    expect(shares.reduce((a, b) => a + b)).toBe(65537);
    // The paper's bound: shares differ by at most about one permutation step per node.
    expect(Math.max(...shares) / Math.min(...shares)).toBeLessThan(1.01);
  });
  it('refuses a table size that is not prime', () => {
    expect(() => createMaglev(nodes(3), 65536)).toThrow(RangeError);
  });
});

describe('ring and rendezvous weights', () => {
  it('a weight-3 node takes about 3/5 of the keys on both', () => {
    const weighted = [{ id: 'a', weight: 3 }, { id: 'b' }, { id: 'c' }];
    for (const chooser of [createHashRing(weighted), createRendezvous(weighted)]) {
      const share = KEYS.filter((h) => chooser.ownerOf(h) === 'a').length / KEYS.length;
      expect(share).toBeGreaterThan(0.5);
      expect(share).toBeLessThan(0.7);
    }
  });
  it('an empty layout owns nothing', () => {
    expect(createHashRing([]).ownerOf(1)).toBeUndefined();
    expect(createRendezvous([]).ownerOf(1)).toBeUndefined();
    expect(createMaglev([], 7).ownerOf(1)).toBeUndefined();
  });
});

describe('bounded load', () => {
  for (const c of [1.25, 1.5, 2]) {
    it(`never puts more than ceil(c x (m+1)/n) on a node (c = ${c}), even on a skewed key set`, () => {
      const ring = createHashRing(nodes(8));
      const load = new Map<string, number>(ring.nodes.map((id) => [id, 0]));
      // Skewed: most placements hash the same few keys, which plain consistent hashing piles on one node.
      for (let i = 0; i < 5000; i++) {
        const hash = i % 4 === 0 ? KEYS[i]! : KEYS[i % 5]!;
        const bound = loadBound(i, 8, c);
        const owner = boundedLoadOwner(ring, hash, (id) => load.get(id)!, c)!;
        load.set(owner, load.get(owner)! + 1);
        expect(load.get(owner)!).toBeLessThanOrEqual(bound);
      }
      expect(Math.max(...load.values())).toBeLessThanOrEqual(Math.ceil((c * 5000) / 8));
    });
  }
  it('keeps a key on its ring owner while that owner is under the bound', () => {
    const ring = createHashRing(nodes(4));
    expect(boundedLoadOwner(ring, KEYS[0]!, () => 0, 1.25)).toBe(ring.ownerOf(KEYS[0]!));
    expect(() => boundedLoadOwner(ring, 1, () => 0, 1)).toThrow(RangeError);
  });
});
