import type { HashNode } from './hash-ring.js';
import { fmix32, nodeSeed } from './murmur3.js';

/** Rendezvous (highest random weight) hashing over a fixed node list, weighted (Schindelhauer's -w/ln u score). */
export interface Rendezvous {
  readonly nodes: readonly string[];
  /** The node with the highest score for a 32-bit key hash, or undefined when there are none. */
  ownerOf(hash: number): string | undefined;
}

/** Builds an HRW chooser; O(nodes) per lookup, no table, minimal disruption when a node leaves or joins. */
export function createRendezvous(nodes: readonly HashNode[]): Rendezvous {
  const ids = nodes.map((n) => n.id);
  const seeds = nodes.map((n) => nodeSeed(n.id));
  const weights = nodes.map((n) => n.weight ?? 1);
  const uniform = weights.every((w) => w === weights[0]);
  return {
    nodes: ids,
    ownerOf(hash) {
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i < ids.length; i++) {
        const mixed = fmix32(Math.imul(hash ^ seeds[i]!, 0x9e3779b1) ^ seeds[i]!);
        // Equal weights: the raw hash orders the same as the weighted score, without a log.
        const score = uniform ? mixed : -weights[i]! / Math.log((mixed + 0.5) / 4294967296);
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
      return best < 0 ? undefined : ids[best];
    },
  };
}
