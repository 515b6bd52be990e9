import { murmur3 } from './murmur3.js';
import type { HashNode } from './hash-ring.js';

/** Maglev's default table size: a prime well above 100 x the node count for small clusters. */
export const DEFAULT_MAGLEV_SIZE = 65537;

/** A Maglev lookup table (Eisenbud et al., NSDI 2016): O(1) lookups, near-equal shares, small disruption. */
export interface Maglev {
  readonly nodes: readonly string[];
  readonly size: number;
  /** The node for a 32-bit key hash, or undefined when there are none. */
  ownerOf(hash: number): string | undefined;
  /** Table slots per node id (for balance checks). */
  shares(): Map<string, number>;
}

function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** Fills a table of `size` slots (prime, default 65537) by each node's permutation in turn; ignores weights, as the paper. */
export function createMaglev(nodes: readonly HashNode[], size = DEFAULT_MAGLEV_SIZE): Maglev {
  if (!isPrime(size)) throw new RangeError(`maglev table size must be prime, got ${size}`);
  const ids = nodes.map((n) => n.id);
  const table = new Int32Array(size).fill(-1);
  if (ids.length > 0) {
    const offsets = ids.map((id) => murmur3(id, 0xb0f57ee3) % size);
    const skips = ids.map((id) => (murmur3(id, 0x8f14e45f) % (size - 1)) + 1);
    const next = new Array<number>(ids.length).fill(0);
    let filled = 0;
    while (filled < size) {
      for (let i = 0; i < ids.length && filled < size; i++) {
        let slot = (offsets[i]! + next[i]! * skips[i]!) % size;
        while (table[slot]! >= 0) {
          next[i]!++;
          slot = (offsets[i]! + next[i]! * skips[i]!) % size;
        }
        table[slot] = i;
        next[i]!++;
        filled++;
      }
    }
  }
  return {
    nodes: ids,
    size,
    ownerOf(hash) {
      return ids.length === 0 ? undefined : ids[table[(hash >>> 0) % size]!];
    },
    shares() {
      const counts = new Map(ids.map((id) => [id, 0]));
      for (const i of table) counts.set(ids[i]!, counts.get(ids[i]!)! + 1);
      return counts;
    },
  };
}
