import type { Host, PickContext, Strategy } from './strategy.js';

/**
 * nginx's smooth weighted round robin: every pick adds each host's weight to its running score,
 * takes the highest, and subtracts the total from the winner. Over a cycle of sum(weights) picks
 * each host gets exactly its weight, interleaved (5,1,1 gives a a b a c a a, not a a a a a b c).
 */
export function createWeightedRoundRobin(): Strategy {
  const current = new Map<string, number>();
  return {
    name: 'weighted-round-robin',
    pick<H extends Host>(hosts: readonly H[], _ctx: PickContext): H | undefined {
      let best: H | undefined;
      let bestScore = -Infinity;
      let total = 0;
      for (const host of hosts) {
        if (host.weight <= 0) continue;
        const score = (current.get(host.id) ?? 0) + host.weight;
        current.set(host.id, score);
        total += host.weight;
        if (score > bestScore) {
          bestScore = score;
          best = host;
        }
      }
      if (best === undefined) return hosts[0];
      current.set(best.id, bestScore - total);
      // Scores of hosts that left would linger forever; drop them when the map outgrows the set.
      if (current.size > hosts.length * 2) {
        const live = new Set(hosts.map((h) => h.id));
        for (const id of current.keys()) if (!live.has(id)) current.delete(id);
      }
      return best;
    },
  };
}
