import { ConfigError, FailModeSchema, type ConfigIssue } from '@sdl/config';
import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { createApiKeys } from './auth/api-keys.js';

export { type FailMode } from '@sdl/config';

export const GatewayConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  /** Requests one tenant (API key) may have in flight; beyond it 429 GW_ERR_TENANT_CONCURRENCY; 0: no limit. */
  tenantMaxInFlight: Type.Integer({ minimum: 0, default: 512 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
  /** The HTTPS listener (with TLS_CERT_FILE and TLS_KEY_FILE); 0: any free port (tests). */
  tlsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
  /** PEM certificate (chain) for HTTPS, re-read when it changes; unset: no HTTPS listener. */
  tlsCertFile: Type.Optional(Type.String({ minLength: 1 })),
  /** PEM private key of TLS_CERT_FILE. */
  tlsKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  /** How often the certificate file is checked for a change (rotation without a restart). */
  tlsReloadPollMs: Type.Integer({ minimum: 10, default: 2000 }),
  /** Strict-Transport-Security max-age on HTTPS answers, in seconds; 0: no header. */
  hstsMaxAgeS: Type.Integer({ minimum: 0, default: 31_536_000 }),
  /** Plain HTTP on PORT: `serve`, `redirect` (308 to TLS_REDIRECT_ORIGIN) or `refuse` (403); probes always served. */
  plainHttp: Type.Union([Type.Literal('serve'), Type.Literal('redirect'), Type.Literal('refuse')], {
    default: 'serve',
  }),
  /** Where PLAIN_HTTP=redirect sends clients (the request's Host is never trusted for it). */
  tlsRedirectOrigin: Type.String({ pattern: '^https://[^/?#\\s]+$', default: 'https://localhost:8443' }),
  /** The admin listener (/metrics, probes), for the compose network only; 0: any free port (tests). */
  adminPort: Type.Integer({ minimum: 0, maximum: 65535, default: 9080 }),
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
  /** Media types a non-empty request body may have; `*`: any (then only JSON bodies are inspected). */
  bodyContentTypes: Type.Array(Type.String({ pattern: '^(\\*|[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)$' }), {
    minItems: 1,
    default: ['application/json'],
  }),
  /** JSON bodies are checked at the edge: UTF-8, well-formed, depth, duplicate and prototype keys, numbers. */
  jsonInspection: Type.Boolean({ default: true }),
  /** The deepest nesting of arrays and objects a JSON body may have. */
  jsonMaxDepth: Type.Integer({ minimum: 1, maximum: 1000, default: 32 }),
  /** A client must send its request line and headers within this; else 408 and the connection closes. */
  headersTimeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
  /** A client must send its whole request (headers and body) within this; else 408 and closed. */
  requestTimeoutMs: Type.Integer({ minimum: 1, default: 30_000 }),
  /** The largest request line plus headers; beyond it 431 ERR_HEADERS_TOO_LARGE. */
  maxHeaderBytes: Type.Integer({ minimum: 1024, default: 16_384 }),
  /** The most header fields a request may carry; beyond it 431 GW_ERR_TOO_MANY_HEADERS. */
  maxHeaderCount: Type.Integer({ minimum: 1, maximum: 2000, default: 100 }),
  upstreamTimeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Keep-alive connections to the lb. */
  upstreamConnections: Type.Integer({ minimum: 1, default: 128 }),
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

/**
 * What the schema cannot say: API_KEYS names each client once, the headers timeout fits in the
 * request timeout, the TLS files come in pairs and plain HTTP is only turned away when HTTPS exists.
 * Run by loadConfig (runService's `check`).
 */
export function checkGatewayConfig(config: GatewayConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    issues.push({ key: 'TLS_KEY_FILE', message: 'TLS_CERT_FILE and TLS_KEY_FILE go together' });
  }
  if (config.plainHttp !== 'serve' && config.tlsCertFile === undefined) {
    issues.push({ key: 'PLAIN_HTTP', message: 'redirect or refuse needs HTTPS (TLS_CERT_FILE)' });
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    issues.push({ key: 'HEADERS_TIMEOUT_MS', message: 'must not exceed REQUEST_TIMEOUT_MS' });
  }
  try {
    createApiKeys(config.apiKeys);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  return issues;
}
