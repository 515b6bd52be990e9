import { createStrategy, type PickContext, type Strategy } from './strategy.js';
import type { UpstreamHost } from './upstream-host.js';
import type { UpstreamSet } from './upstream-set.js';

/** Chooses the upstream for one try: the strategy sees only healthy hosts not yet tried. */
export interface Balancer {
  readonly strategy: string;
  pick(ctx: PickContext, exclude: ReadonlySet<string>): UpstreamHost | undefined;
  /** Switches strategy at run time (the new one starts with fresh state). */
  use(name: string): void;
}

export function createBalancer(upstreams: UpstreamSet, strategyName: string): Balancer {
  let strategy: Strategy = createStrategy(strategyName);
  return {
    get strategy() {
      return strategy.name;
    },
    pick(ctx, exclude) {
      const candidates = upstreams.list().filter((h) => h.healthy && !exclude.has(h.id));
      return strategy.pick(candidates, ctx);
    },
    use(name) {
      strategy = createStrategy(name);
    },
  };
}
