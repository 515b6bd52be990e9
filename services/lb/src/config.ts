import { BaseConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { HASH_KEY_PATTERN } from './hash-key.js';
import { ROUTE_PATTERN } from './routes.js';
import { strategyNames } from './strategy.js';

const ms = (defaultValue: number, minimum = 1) => Type.Integer({ minimum, default: defaultValue });

/** The lb's environment: every property is read from its UPPER_SNAKE variable (see README). */
export const LbConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
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
  routes: Type.Array(Type.String({ pattern: ROUTE_PATTERN }), { default: [] }),
  /** What the hashing strategies hash: `client`, `header:<name>` or `path:<index>`. */
  hashKey: Type.String({ pattern: HASH_KEY_PATTERN, default: 'client' }),
  /** Proxies in front of the lb whose X-Forwarded-For entries are trusted (the gateway: 1). */
  trustedHops: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
  /** Ring points per unit of weight (ring-hash, bounded-load). */
  ringVnodes: Type.Integer({ minimum: 1, maximum: 10_000, default: 160 }),
  /** bounded-load: a host takes at most this factor x the average in-flight load. */
  boundedLoadFactor: Type.Number({ exclusiveMinimum: 1, maximum: 10, default: 1.25 }),
  /** Maglev lookup table size; must be prime. */
  maglevTableSize: Type.Integer({ minimum: 7, maximum: 1_000_003, default: 65537 }),
  healthIntervalMs: ms(1000, 10),
  healthTimeoutMs: ms(500),
  healthFall: Type.Integer({ minimum: 1, default: 2 }),
  healthRise: Type.Integer({ minimum: 1, default: 2 }),
  /** Per try: how long to wait for the upstream's response headers (and between body chunks). */
  tryTimeoutMs: ms(3000),
  connectTimeoutMs: ms(1000),
  /** Extra tries on a different host, for the failures that are safe to retry (see README). */
  retries: Type.Integer({ minimum: 0, maximum: 5, default: 1 }),
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
  /** Keep-alive connections per upstream pool. */
  upstreamConnections: Type.Integer({ minimum: 1, default: 64 }),
});

export type LbConfig = Static<typeof LbConfigSchema>;
