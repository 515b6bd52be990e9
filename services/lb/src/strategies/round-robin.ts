import type { Host, PickContext, Strategy } from './strategy.js';

/**
 * Plain round robin over the candidates: with a stable host set, N * hosts requests land exactly
 * N on each. Weights are ignored here (weighted round robin is its own strategy).
 */
export function createRoundRobin(): Strategy {
  let cursor = 0;
  return {
    name: 'round-robin',
    pick<H extends Host>(hosts: readonly H[], _ctx: PickContext): H | undefined {
      if (hosts.length === 0) return undefined;
      const host = hosts[cursor % hosts.length];
      // Wrap well before Number.MAX_SAFE_INTEGER so the modulo stays exact forever.
      cursor = (cursor + 1) % 1_000_000_007;
      return host;
    },
  };
}
