import type { Host, PickContext, Strategy } from './strategy.js';

/** Uniform random choice: no shared state, the baseline the smarter strategies are measured against. */
export function createRandom(): Strategy {
  return {
    name: 'random',
    pick<H extends Host>(hosts: readonly H[], _ctx: PickContext): H | undefined {
      if (hosts.length === 0) return undefined;
      return hosts[Math.floor(Math.random() * hosts.length)];
    },
  };
}
