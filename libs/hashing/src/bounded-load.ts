import type { HashRing } from './hash-ring.js';

/**
 * The most load any one node may carry when `total` units are spread over `nodes` with balance
 * factor `c` (> 1): ceil(c x (total + 1) / nodes), counting the unit being placed.
 */
export function loadBound(total: number, nodes: number, c: number): number {
  return Math.ceil((c * (total + 1)) / nodes);
}

/**
 * Consistent hashing with bounded loads (Mirrokni et al.): the key's ring owner unless it is at
 * the bound, else the next node clockwise under it. `loadOf` gives each node's current load.
 */
export function boundedLoadOwner(
  ring: HashRing,
  hash: number,
  loadOf: (id: string) => number,
  c: number,
): string | undefined {
  if (!(c > 1)) throw new RangeError(`bounded-load factor must be > 1, got ${c}`);
  let total = 0;
  for (const id of ring.nodes) total += loadOf(id);
  const bound = loadBound(total, ring.nodes.length, c);
  for (const id of ring.walk(hash)) if (loadOf(id) < bound) return id;
  // Unreachable with c > 1 (some node is always below the bound); kept for safety.
  return ring.ownerOf(hash);
}
