import { BaseConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
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
  healthIntervalMs: ms(1000, 10),
  healthTimeoutMs: ms(500),
  healthFall: Type.Integer({ minimum: 1, default: 2 }),
  healthRise: Type.Integer({ minimum: 1, default: 2 }),
  /** Per try: how long to wait for the upstream's response headers (and between body chunks). */
  tryTimeoutMs: ms(3000),
  connectTimeoutMs: ms(1000),
  /** Extra tries on a different host, for the failures that are safe to retry (see README). */
  retries: Type.Integer({ minimum: 0, maximum: 5, default: 1 }),
  /** Keep-alive connections per upstream pool. */
  upstreamConnections: Type.Integer({ minimum: 1, default: 64 }),
});

export type LbConfig = Static<typeof LbConfigSchema>;
