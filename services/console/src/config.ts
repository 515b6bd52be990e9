import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';

const Url = (defaultUrl: string, description: string) =>
  Type.String({ minLength: 1, default: defaultUrl, description });

export const ConsoleConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 8090 }),
  /** The console's own token (compose: a secret read through CONSOLE_TOKEN_FILE); at least 16 characters. */
  consoleToken: Type.String({ minLength: 16 }),
  lbAdminUrl: Url('http://lb:9901', "the lb's admin app (GET /admin/lb, PUT /admin/lb/strategy)"),
  /** Every billing replica, each asked `GET /v1/status`. */
  billingUrls: Type.Array(Type.String({ minLength: 1 }), {
    default: ['http://billing-leader-1:3003', 'http://billing-leader-2:3003'],
  }),
  /** Every api node's admin listener: a partition move goes to the first that answers; each lists its own. */
  apiAdminUrls: Type.Array(Type.String({ minLength: 1 }), {
    default: ['http://api-1:9902', 'http://api-2:9902', 'http://api-3:9902'],
  }),
  /** Port of the game-day agent on the host (`./lab console --gamedays`); the page calls it on its own host name. */
  gamedayAgentPort: Type.Integer({ minimum: 1, maximum: 65535, default: 8091 }),
  paymentsAdminUrl: Url('http://payments:3012', "the payments provider's admin app (fault flags)"),
  ratelimiterUrl: Url('http://ratelimiter:3001', 'the ratelimiter (GET /admin/rules)'),
  prometheusUrl: Url('http://prometheus:9090', "Prometheus's HTTP API (rates and ratios)"),
  /** etcd endpoints (shard map, api registrations); empty: those panels stay empty. */
  etcdEndpoints: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  shardMapKey: Type.String({ minLength: 1, default: '/sdl/shard-map' }),
  registryPrefix: Type.String({ minLength: 1, default: '/sdl/services/api/' }),
  /** How often the cluster is read and pushed to the browsers. */
  pollMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
  /** Timeout of each read of one source, ms. */
  sourceTimeoutMs: Type.Integer({ minimum: 50, maximum: 30_000, default: 800 }),
});
export type ConsoleConfig = Static<typeof ConsoleConfigSchema>;
