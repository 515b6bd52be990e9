import { murmur3 } from './murmur3.js';

/** A node in any of the hashing schemes: `weight` defaults to 1 (Maglev ignores it). */
export interface HashNode {
  readonly id: string;
  readonly weight?: number;
}

/** A consistent-hash ring: each node owns `vnodes x weight` points; a key goes to the next point clockwise. */
export interface HashRing {
  readonly nodes: readonly string[];
  /** The owner of a 32-bit key hash, or undefined for an empty ring. */
  ownerOf(hash: number): string | undefined;
  /** Node ids in ring order starting at the key's point, each node once (for bounded load). */
  walk(hash: number): Generator<string>;
}

export interface HashRingOptions {
  /** Points per unit of weight (default 160, as in ketama); more points, less variance, bigger ring. */
  readonly vnodes?: number;
}

/** Builds a ring with virtual nodes (points at murmur3 of `id#i`), sorted for binary search. */
export function createHashRing(nodes: readonly HashNode[], options: HashRingOptions = {}): HashRing {
  const vnodes = options.vnodes ?? 160;
  const points: { hash: number; node: number }[] = [];
  nodes.forEach((node, index) => {
    const count = Math.max(1, Math.round(vnodes * (node.weight ?? 1)));
    for (let i = 0; i < count; i++) points.push({ hash: murmur3(`${node.id}#${i}`), node: index });
  });
  // Ties (rare) are broken by node id so every lb instance builds the same ring.
  points.sort((a, b) => a.hash - b.hash || (nodes[a.node]!.id < nodes[b.node]!.id ? -1 : 1));
  const hashes = Uint32Array.from(points, (p) => p.hash);
  const owners = Uint32Array.from(points, (p) => p.node);
  const ids = nodes.map((n) => n.id);

  // First point >= hash, wrapping to 0.
  const firstAtOrAfter = (hash: number): number => {
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  };

  return {
    nodes: ids,
    ownerOf(hash) {
      if (hashes.length === 0) return undefined;
      return ids[owners[firstAtOrAfter(hash >>> 0)]!];
    },
    *walk(hash) {
      if (hashes.length === 0) return;
      const seen = new Set<number>();
      const start = firstAtOrAfter(hash >>> 0);
      for (let i = 0; i < hashes.length && seen.size < ids.length; i++) {
        const node = owners[(start + i) % hashes.length]!;
        if (seen.has(node)) continue;
        seen.add(node);
        yield ids[node]!;
      }
    },
  };
}
