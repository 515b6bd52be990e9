import type { ConfigIssue } from '@sdl/config';
import { createMaglev } from '@sdl/hashing';
import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { parsePathRoutes, PATH_ROUTE_PATTERN } from './proxy/path-routes.js';
import { DEFAULT_HASH_KEY, HASH_KEY_PATTERN } from './strategies/hash-key.js';
import { DEFAULT_STRATEGY_OPTIONS, isStrategyName, strategyNames } from './strategies/strategy.js';
import { parseStaticUpstreams } from './upstreams/host-spec.js';

const ms = (defaultValue: number, minimum = 1) => Type.Integer({ minimum, default: defaultValue });

/** The lb's environment: every property is read from its UPPER_SNAKE variable (see README). */
export const LbConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  /** Admin port: /healthz, /readyz, /metrics, /admin/lb. */
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 9901 }),
  /** The proxy's own port (0 picks a free one, for tests). */
  proxyPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
  /** Empty disables discovery (STATIC_UPSTREAMS only). */
  etcdEndpoints: Type.Array(Type.String({ pattern: '^https?://' }), { default: [] }),
  discoveryPrefix: Type.String({ minLength: 1, default: '/sdl/services/api/' }),
  /** `id=url` entries, e.g. `api-1=http://api-1:3000`. */
  staticUpstreams: Type.Array(Type.String({ pattern: '^[\\w.:-]+=https?://\\S+$' }), { default: [] }),
  strategy: Type.Union(
    strategyNames.map((name) => Type.Literal(name)),
    { default: 'round-robin' },
  ),
  /** Path routes, `<prefix>=<strategy>[@<id>|<id>...]`, e.g. `/reports=least-request@api-3`; the rest uses STRATEGY. */
  routes: Type.Array(Type.String({ pattern: PATH_ROUTE_PATTERN }), { default: [] }),
  /** What the hashing strategies hash: `client`, `header:<name>` or `path:<index>`. */
  hashKey: Type.String({ pattern: HASH_KEY_PATTERN, default: DEFAULT_HASH_KEY }),
  /** Proxies in front of the lb whose X-Forwarded-For entries are trusted (the gateway: 1). */
  trustedHops: Type.Integer({ minimum: 0, maximum: 10, default: DEFAULT_STRATEGY_OPTIONS.trustedHops }),
  /** Ring points per unit of weight (ring-hash, bounded-load). */
  ringVnodes: Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_STRATEGY_OPTIONS.vnodes }),
  /** bounded-load: a host takes at most this factor x the average in-flight load. */
  boundedLoadFactor: Type.Number({
    exclusiveMinimum: 1,
    maximum: 10,
    default: DEFAULT_STRATEGY_OPTIONS.boundedLoadFactor,
  }),
  /** Maglev lookup table size; must be prime. */
  maglevTableSize: Type.Integer({ minimum: 7, maximum: 1_000_003, default: DEFAULT_STRATEGY_OPTIONS.maglevSize }),
  healthIntervalMs: ms(1000, 10),
  healthTimeoutMs: ms(500),
  healthFall: Type.Integer({ minimum: 1, default: 2 }),
  healthRise: Type.Integer({ minimum: 1, default: 2 }),
  /** Per try: how long to wait for the upstream's response headers (and between body chunks). */
  tryTimeoutMs: ms(3000),
  connectTimeoutMs: ms(1000),
  /** Extra tries on a different host, for the failures that are safe to retry (see README). */
  retries: Type.Integer({ minimum: 0, maximum: 5, default: 1 }),
  /**
   * A POST with an `Idempotency-Key` and a body of at most this many bytes is read whole before its
   * first try, so a try that timed out or was reset can go to another host (the api answers the
   * retry with the first try's row); 0 treats such POSTs like any other (never resent).
   */
  keyedRetryBodyLimitBytes: Type.Integer({ minimum: 0, maximum: 1_048_576, default: 65_536 }),
  /** Below this share (%) of available hosts, spread over all hosts (panic mode); 0 turns it off. */
  panicThresholdPercent: Type.Integer({ minimum: 0, maximum: 100, default: 50 }),
  /** A (re)joining host's weight ramps from 10 % to 100 % over this long (weighted strategies); 0: off. */
  slowStartMs: ms(5000, 0),
  /** Passive outlier detection: consecutive 5xx/connect errors/timeouts that eject a host; 0: off. */
  outlierConsecutiveErrors: Type.Integer({ minimum: 0, default: 5 }),
  outlierBaseEjectionMs: ms(30_000),
  outlierMaxEjectionMs: ms(300_000),
  outlierMaxEjectionPercent: Type.Integer({ minimum: 0, maximum: 100, default: 50 }),
  /** Retries in progress may be at most this share (%) of requests in progress... */
  retryBudgetPercent: Type.Integer({ minimum: 0, maximum: 100, default: 20 }),
  /**
   * ...but this many concurrent retries are always allowed. Above Envoy's 3: killing one node makes a
   * burst of retries (its in-flight resets plus refused connects before it is marked down).
   */
  retryBudgetMinConcurrent: Type.Integer({ minimum: 0, default: 10 }),
  /**
   * How long the proxy keeps an idle client connection open (fastify's 72 s, as on every other
   * server here). Node's own 5 s closed the gateway's idle pool connections after every burst, and
   * the next burst opened new ones, each with a DNS lookup through Docker's resolver.
   */
  keepAliveTimeoutMs: ms(72_000),
  /** Keep-alive connections per upstream pool (per worker). */
  upstreamConnections: Type.Integer({ minimum: 1, default: 64 }),
  /**
   * Proxy processes. 1: the proxy runs in this process. More: this process keeps the admin app and
   * discovery and forks that many workers sharing PROXY_PORT (SO_REUSEPORT), each with its own
   * pools, strategy state and health (src/workers/).
   */
  lbWorkers: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
});

export type LbConfig = Static<typeof LbConfigSchema>;

/**
 * What the schema cannot say: a prime MAGLEV_TABLE_SIZE, ROUTES naming known strategies,
 * STATIC_UPSTREAMS urls that parse. Run by loadConfig (runService's `check`), so a bad setting is
 * listed with the others at boot, not found at the first switch to maglev.
 */
export function checkLbConfig(config: LbConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (key: string, run: () => unknown): void => {
    try {
      run();
    } catch (err) {
      issues.push({ key, message: err instanceof Error ? err.message : String(err) });
    }
  };
  if (config.lbWorkers > 1 && config.proxyPort === 0) {
    issues.push({ key: 'PROXY_PORT', message: 'must be a fixed port with LB_WORKERS > 1 (the workers share it)' });
  }
  check('MAGLEV_TABLE_SIZE', () => createMaglev([], config.maglevTableSize));
  check('STATIC_UPSTREAMS', () => parseStaticUpstreams(config.staticUpstreams));
  for (const route of parsePathRoutes(config.routes)) {
    if (isStrategyName(route.strategy)) continue;
    const known = strategyNames.join(', ');
    issues.push({
      key: 'ROUTES',
      message: `unknown strategy "${route.strategy}" for ${route.prefix} (known: ${known})`,
    });
  }
  return issues;
}
