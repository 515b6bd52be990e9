import { createStrategy, type Strategy, type StrategyOptions } from '../strategies/strategy.js';

/** ROUTES entry syntax: `<path prefix>=<strategy>[@<host id>|<host id>...]` (no hosts: every host). */
export const PATH_ROUTE_PATTERN = '^/[^=,\\s]*=[a-z-]+(@[\\w.:-]+(\\|[\\w.:-]+)*)?$';

/** One ROUTES entry as configured: a path prefix, the name of its strategy, and its pool. */
export interface PathRouteSpec {
  readonly prefix: string;
  readonly strategy: string;
  /** The pool: host ids this route may use; undefined: every host. */
  readonly hosts?: readonly string[];
}

/** One routed pool, live. */
export interface PathRoute {
  readonly prefix: string;
  /** The route's own instance of its strategy (its own round-robin cursor, ring...). */
  readonly strategy: Strategy;
  /** The pool's host ids; undefined: every host. */
  readonly hosts?: readonly string[];
  readonly members?: ReadonlySet<string>;
}

/** Parses ROUTES entries (already pattern-checked; the config module checks their strategy names). */
export function parsePathRoutes(entries: readonly string[]): PathRouteSpec[] {
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    const [strategy, hosts] = entry.slice(eq + 1).split('@') as [string, string | undefined];
    // '/api/' and '/api' mean the same prefix: matching is on whole segments.
    const prefix = entry.slice(0, eq).replace(/\/+$/, '') || '/';
    return hosts === undefined ? { prefix, strategy } : { prefix, strategy, hosts: hosts.split('|') };
  });
}

export interface PathRouter {
  readonly routes: readonly PathRoute[];
  /** The route with the longest prefix matching the path on segment boundaries, if any. */
  match(url: string): PathRoute | undefined;
}

/** Path routes, like nginx's `location` prefixes: each sends its requests to its own pool and strategy. */
export function createPathRouter(specs: readonly PathRouteSpec[], options: StrategyOptions): PathRouter {
  const routes: PathRoute[] = specs
    .map((spec) => ({
      prefix: spec.prefix,
      strategy: createStrategy(spec.strategy, options),
      ...(spec.hosts === undefined ? {} : { hosts: spec.hosts, members: new Set(spec.hosts) }),
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
