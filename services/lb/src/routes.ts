import { createStrategy, type Strategy, type StrategyOptions } from './strategy.js';

/** ROUTES entry syntax: `<path prefix>=<strategy>[@<host id>|<host id>...]` (no hosts: every host). */
export const ROUTE_PATTERN = '^/[^=,\\s]*=[a-z-]+(@[\\w.:-]+(\\|[\\w.:-]+)*)?$';

export interface RouteSpec {
  readonly prefix: string;
  readonly strategy: string;
  /** The pool: host ids this route may use; undefined: every host. */
  readonly hosts?: readonly string[];
}

/** One routed pool: its own strategy instance (its own round-robin cursor, ring...). */
export interface Route extends RouteSpec {
  readonly balancer: Strategy;
  readonly members?: ReadonlySet<string>;
}

/** Parses ROUTES entries (already pattern-checked); throws a TypeError on an unknown strategy. */
export function parseRoutes(entries: readonly string[]): RouteSpec[] {
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    const [strategy, hosts] = entry.slice(eq + 1).split('@') as [string, string | undefined];
    // '/api/' and '/api' mean the same prefix: matching is on whole segments.
    const prefix = entry.slice(0, eq).replace(/\/+$/, '') || '/';
    return hosts === undefined ? { prefix, strategy } : { prefix, strategy, hosts: hosts.split('|') };
  });
}

export interface Router {
  readonly routes: readonly Route[];
  /** The route with the longest prefix matching the path on segment boundaries, if any. */
  match(url: string): Route | undefined;
}

export function createRouter(specs: readonly RouteSpec[], options: StrategyOptions): Router {
  const routes: Route[] = specs
    .map((spec) => ({
      ...spec,
      balancer: createStrategy(spec.strategy, options),
      ...(spec.hosts === undefined ? {} : { members: new Set(spec.hosts) }),
    }))
    // Longest first, so the first match is the most specific.
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return {
    routes,
    match(url) {
      if (routes.length === 0) return undefined;
      const path = url.split('?', 1)[0]!;
      return routes.find((r) => r.prefix === '/' || path === r.prefix || path.startsWith(`${r.prefix}/`));
    },
  };
}
