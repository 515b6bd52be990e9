import { parseHashKey } from './strategies/hash-key.js';
import { createPathRouter, type PathRouteSpec } from './proxy/path-routes.js';
import { createStrategy, type PickContext, type Strategy, type StrategyOptions } from './strategies/strategy.js';
import type { UpstreamHost } from './upstreams/upstream-host.js';
import type { UpstreamSet } from './upstreams/upstream-set.js';

/** Chooses the upstream for one try: the strategy sees only available hosts not yet tried. */
export interface Balancer {
  readonly strategy: string;
  /** The HASH_KEY form in use (`client`, `header:<name>`, `path:<n>`). */
  readonly hashKey: string;
  /** True when the last pick found too few available hosts and spread over all of them. */
  readonly panicking: boolean;
  /** The path routes (ROUTES) with their pools; requests no route matches use the main strategy. */
  readonly routes: readonly { prefix: string; strategy: string; hosts: readonly string[] | 'all' }[];
  pick(ctx: PickContext, exclude: ReadonlySet<string>): UpstreamHost | undefined;
  /**
   * Switches strategy (and optionally hash key) at run time; the new one starts with fresh state.
   * Validates before changing anything: throws a TypeError and keeps the running one on bad input.
   * Requests already in flight keep the host they were given; only later picks see the switch.
   */
  use(name: string, hashKey?: string): void;
}

export interface BalancerOptions extends Omit<StrategyOptions, 'hashKey'> {
  readonly strategy: string;
  readonly hashKey: string;
  /** Below this share (percent) of available hosts, spread over every host (Envoy's panic mode); 0: off. */
  readonly panicThresholdPercent: number;
  readonly routes?: readonly PathRouteSpec[];
}

export function createBalancer(upstreams: UpstreamSet, options: BalancerOptions): Balancer {
  const build = (name: string, hashKey: string): Strategy =>
    createStrategy(name, { ...options, hashKey: parseHashKey(hashKey) });
  let strategy = build(options.strategy, options.hashKey);
  let hashKey = options.hashKey;
  let panicking = false;
  // Routes keep the hash key given at boot; the admin switch changes the main strategy only.
  const router = createPathRouter(options.routes ?? [], { ...options, hashKey: parseHashKey(options.hashKey) });
  const routes = router.routes.map((r) => ({
    prefix: r.prefix,
    strategy: r.strategy.name,
    hosts: r.hosts ?? ('all' as const),
  }));
  return {
    routes,
    get strategy() {
      return strategy.name;
    },
    get hashKey() {
      return hashKey;
    },
    get panicking() {
      return panicking;
    },
    pick(ctx, exclude) {
      const route = router.match(ctx.url);
      const members = route?.members;
      const all = members === undefined ? upstreams.list() : upstreams.list().filter((h) => members.has(h.id));
      let availableCount = 0;
      for (const h of all) if (h.available) availableCount++;
      // With nothing available the answer is a 503, not a try on hosts known to be down.
      panicking = availableCount > 0 && availableCount * 100 < options.panicThresholdPercent * all.length;
      const pool = panicking ? all : availableCount === all.length ? all : all.filter((h) => h.available);
      // The common case (every host up, first try) hands the strategy the live list, no copy.
      const candidates = exclude.size === 0 ? pool : pool.filter((h) => !exclude.has(h.id));
      return (route?.strategy ?? strategy).pick(candidates, ctx);
    },
    use(name, nextKey = hashKey) {
      // One assignment: a pick running concurrently sees either the old strategy or the new one.
      strategy = build(name, nextKey);
      hashKey = nextKey;
    },
  };
}
