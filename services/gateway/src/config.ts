import { ConfigError, FailModeSchema, type ConfigIssue } from '@sdl/config';
import { BaseConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { createApiKeys } from './auth/api-keys.js';

export { type FailMode } from '@sdl/config';

export const GatewayConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
  lbUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:8081' }),
  ratelimiterUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:3001' }),
  /** `name:secret` pairs; the name is the client id the ratelimiter counts and the api sees. */
  apiKeys: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}(@[A-Za-z0-9_.-]{1,64})?:.+$' }), {
    minItems: 1,
    default: ['demo:lab-demo-key', 'limited:lab-limited-key'],
  }),
  /**
   * Sent to the api in x-gateway-secret with every request (the api's GATEWAY_SECRET): requests
   * that bypass the gateway are refused there. Unset: none sent.
   */
  gatewaySecret: Type.Optional(Type.String({ minLength: 16 })),
  ratelimitEnabled: Type.Boolean({ default: true }),
  ratelimitTimeoutMs: Type.Integer({ minimum: 1, default: 250 }),
  /** What to do when the ratelimiter itself is unreachable or slow: proxy anyway, or answer 503. */
  ratelimitFailMode: Type.Union(FailModeSchema.anyOf, { default: 'open' }),
  /** The gateway-local first stage: tokens leased in batches from the ratelimiter, spent locally. */
  ratelimitLocalEnabled: Type.Boolean({ default: true }),
  /** Keys the local stage remembers (oldest dropped first). */
  ratelimitLocalMaxKeys: Type.Integer({ minimum: 1, default: 10_000 }),
  /**
   * A lease is max(1, floor(limit x fraction / rule cost)) requests: the cluster may admit up to
   * N gateways x (batch - 1) beyond the global limit per window (see rate-limit/local-stage.ts).
   */
  ratelimitLocalBatchFraction: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.1 }),
  /** The largest lease, in requests (the ratelimiter accepts costs up to 1000). */
  ratelimitLocalBatchMax: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
  bodyLimitBytes: Type.Integer({ minimum: 0, default: 1_048_576 }),
  upstreamTimeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Keep-alive connections to the lb. */
  upstreamConnections: Type.Integer({ minimum: 1, default: 128 }),
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

/** What the schema cannot say: API_KEYS names each client once. Run by loadConfig (runService's `check`). */
export function checkGatewayConfig(config: GatewayConfig): ConfigIssue[] {
  try {
    createApiKeys(config.apiKeys);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}
