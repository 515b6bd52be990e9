import type { Host, PickContext, Strategy } from './strategy.js';

/** In-flight requests per unit of weight: the load measure of both least-request strategies. */
export const loadOf = (host: Host): number => (host.inflight + 1) / (host.weight > 0 ? host.weight : 1e-9);

/**
 * The host with the fewest in-flight requests per weight. Ties rotate (a cursor picks where the
 * scan starts), otherwise an idle cluster would send everything to the first host.
 */
export function createLeastConnections(): Strategy {
  let cursor = 0;
  return {
    name: 'least-connections',
    pick<H extends Host>(hosts: readonly H[], _ctx: PickContext): H | undefined {
      if (hosts.length === 0) return undefined;
      cursor = (cursor + 1) % 1_000_000_007;
      let best: H | undefined;
      let bestLoad = Infinity;
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[(cursor + i) % hosts.length]!;
        const load = loadOf(host);
        if (load < bestLoad) {
          bestLoad = load;
          best = host;
        }
      }
      return best;
    },
  };
}

/**
 * Power of two choices (Envoy's LEAST_REQUEST): two distinct random hosts, the less loaded wins.
 * Nearly as good as a full scan, O(1), and without the herd a full scan causes across lb instances.
 */
export function createLeastRequest(random: () => number = Math.random): Strategy {
  return {
    name: 'least-request',
    pick<H extends Host>(hosts: readonly H[], _ctx: PickContext): H | undefined {
      if (hosts.length <= 1) return hosts[0];
      const a = Math.floor(random() * hosts.length);
      const b = (a + 1 + Math.floor(random() * (hosts.length - 1))) % hosts.length;
      const first = hosts[a]!;
      const second = hosts[b]!;
      return loadOf(second) < loadOf(first) ? second : first;
    },
  };
}
