import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createAccessLog, createAdminListener, createApp, loadSheddingOf, type AccessLog } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import './admin/admin-app.js';
import { createApiKeys } from './auth/api-keys.js';
import type { GatewayConfig } from './config.js';
import { createInFlightLimit } from './rate-limit/in-flight-limit.js';
import { createLocalStage } from './rate-limit/local-stage.js';
import { createGatewayMetrics } from './metrics.js';
import { createRateLimitGate } from './rate-limit/rate-limit-gate.js';
import { rateLimitClientPlugin } from './rate-limit/ratelimit-client.js';
import { proxyRoutes } from './routes/proxy-routes.js';
import { upstreamProxyPlugin } from './proxy/upstream-proxy.js';
import { createBodyPolicy } from './threat-protection/body-policy.js';
import { registerRequestShapeCheck } from './threat-protection/request-shape.js';
import { registerHttpsPolicy } from './tls/https-policy.js';
import { createTlsListener } from './tls/tls-listener.js';

export { checkGatewayConfig, GatewayConfigSchema, type GatewayConfig } from './config.js';

export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The access-log switch (runService's, which SIGUSR2 opens); default: one in ACCESS_LOG's mode. */
  readonly accessLog?: AccessLog;
}

/**
 * The edge: request shape and body checks, API keys, rate limiting through the ratelimiter, and the
 * proxy to the lb; beside it the admin app (metrics). Listens neither: main.ts does.
 */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const { config, logger } = deps;
  const metrics = createGatewayMetrics(deps.metrics);
  const app = createApp({
    logger,
    metrics: deps.metrics,
    bodyLimit: config.bodyLimitBytes,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxHeaderBytes: config.maxHeaderBytes,
    loadShedding: loadSheddingOf(config),
    accessLog: deps.accessLog ?? createAccessLog(config.accessLog),
    // The edge: off also drops the chain's entries, so clients learn nothing of the inside.
    serverTiming: { prefix: 'gw', enabled: config.serverTiming, stripUpstream: true },
    // Metrics are served on the admin listener only.
    metricsRoute: false,
  });
  app.decorate(
    'gatewayAdmin',
    createAdminListener(app, {
      host: config.host,
      port: config.adminPort,
      logger,
      metrics: deps.metrics,
      ready: () => app.readiness.run(900),
    }),
  );
  registerHttpsPolicy(app, {
    hstsMaxAgeS: config.hstsMaxAgeS,
    plainHttp: config.plainHttp,
    redirectOrigin: config.tlsRedirectOrigin,
  });
  registerRequestShapeCheck(app, { maxHeaderCount: config.maxHeaderCount, metrics });
  app.decorate(
    'gatewayTls',
    config.tlsCertFile === undefined || config.tlsKeyFile === undefined
      ? undefined
      : createTlsListener(app, {
          host: config.host,
          port: config.tlsPort,
          certFile: config.tlsCertFile,
          keyFile: config.tlsKeyFile,
          reloadPollMs: config.tlsReloadPollMs,
          limits: config,
          logger,
        }),
  );

  // Parsed before any client exists: a bad API_KEYS leaves nothing to close.
  const apiKeys = createApiKeys(config.apiKeys);

  // Clients first (closed after the routes stop using them): the lb pool, then the ratelimiter's.
  await app.register(upstreamProxyPlugin, {
    url: config.lbUrl,
    timeoutMs: config.upstreamTimeoutMs,
    connections: config.upstreamConnections,
  });
  await app.register(rateLimitClientPlugin, {
    enabled: config.ratelimitEnabled,
    url: config.ratelimiterUrl,
    timeoutMs: config.ratelimitTimeoutMs,
  });

  await app.register(proxyRoutes, {
    apiKeys,
    gate: createRateLimitGate({
      client: app.ratelimiter,
      local: config.ratelimitLocalEnabled
        ? createLocalStage({
            maxKeys: config.ratelimitLocalMaxKeys,
            batchFraction: config.ratelimitLocalBatchFraction,
            batchMax: config.ratelimitLocalBatchMax,
          })
        : undefined,
      failMode: config.ratelimitFailMode,
      metrics,
      logger,
    }),
    upstream: app.upstream,
    metrics,
    gatewaySecret: config.gatewaySecret,
    inFlight: createInFlightLimit(config.tenantMaxInFlight),
    bodyPolicy: createBodyPolicy({
      contentTypes: config.bodyContentTypes,
      jsonInspection: config.jsonInspection,
      jsonMaxDepth: config.jsonMaxDepth,
    }),
  });
  return app;
}
