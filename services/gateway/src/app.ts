import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { createApiKeys } from './api-keys.js';
import type { GatewayConfig } from './config.js';
import { createLocalStage } from './local-stage.js';
import { createGatewayMetrics } from './metrics.js';
import { createRateLimitGate } from './rate-limit-gate.js';
import { createRateLimitClient } from './ratelimit-client.js';
import { proxyRoutes } from './routes/proxy-routes.js';
import { createUpstreamProxy } from './upstream-proxy.js';

export { GatewayConfigSchema, type GatewayConfig } from './config.js';

export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The edge: API keys, body limits, rate limiting through the ratelimiter, and the proxy to the lb. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const { config, logger } = deps;
  const metrics = createGatewayMetrics(deps.metrics);
  const app = createApp({ logger, metrics: deps.metrics, bodyLimit: config.bodyLimitBytes });

  const upstream = createUpstreamProxy({
    url: config.lbUrl,
    timeoutMs: config.upstreamTimeoutMs,
    connections: config.upstreamConnections,
  });
  const limiter = config.ratelimitEnabled
    ? createRateLimitClient({ url: config.ratelimiterUrl, timeoutMs: config.ratelimitTimeoutMs })
    : undefined;
  app.addHook('onClose', async () => {
    await Promise.all([upstream.close(), limiter?.close()]);
  });

  app.readiness.add('lb', (signal) => upstream.ping(signal));
  if (limiter !== undefined) app.readiness.add('ratelimiter', (signal) => limiter.ping(signal));

  await app.register(proxyRoutes, {
    apiKeys: createApiKeys(config.apiKeys),
    gate: createRateLimitGate({
      client: limiter,
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
    upstream,
    metrics,
  });
  return app;
}
