import type { Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp, loadSheddingOf, optionalEtcdPlugin } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { registerTokenCheck } from './auth/console-token.js';
import type { ConsoleConfig } from './config.js';
import { StatusPoller } from './live/status-poller.js';
import { controlRoutes } from './routes/control-routes.js';
import { eventsRoutes } from './routes/events-routes.js';
import { pageRoutes } from './routes/page-routes.js';
import { createEtcdSource } from './sources/etcd-source.js';

export { ConsoleConfigSchema, type ConsoleConfig } from './config.js';
export { buildView, type ConsoleView } from './view/view-model.js';

declare module 'fastify' {
  interface FastifyInstance {
    consolePoller: StatusPoller;
  }
}

export interface ConsoleDeps {
  readonly config: ConsoleConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** An etcd client to use instead of one made from ETCD_ENDPOINTS (tests); never closed here. */
  readonly coordinator?: Coordinator;
}

/**
 * The lab console: reads the cluster (lb admin API, billing status, payments fault flags, etcd,
 * Prometheus), builds one view model and pushes it to the browsers over SSE; its actions call the
 * lab's admin APIs. Everything but the probes and /metrics needs the console token. Never listens.
 */
export async function buildApp(deps: ConsoleDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const app = createApp({ logger, metrics, bodyLimit: 16 * 1024, loadShedding: loadSheddingOf(config) });
  registerTokenCheck(app, config.consoleToken);

  // Optional: without etcd the console still shows everything else (and says etcd is unreadable).
  await app.register(optionalEtcdPlugin, { endpoints: config.etcdEndpoints, client: deps.coordinator, logger });
  const etcd = createEtcdSource({
    coordinator: app.etcd,
    shardMapKey: config.shardMapKey,
    registryPrefix: config.registryPrefix,
    logger,
  });
  const targets = {
    lbAdminUrl: config.lbAdminUrl,
    billingUrls: config.billingUrls,
    apiAdminUrls: config.apiAdminUrls,
    paymentsAdminUrl: config.paymentsAdminUrl,
    ratelimiterUrl: config.ratelimiterUrl,
    prometheusUrl: config.prometheusUrl,
    timeoutMs: config.sourceTimeoutMs,
  };
  const poller = new StatusPoller({
    targets,
    etcd,
    pollMs: config.pollMs,
    logger: logger.child({ component: 'poller' }),
  });
  app.decorate('consolePoller', poller);
  app.addHook('onClose', async () => {
    poller.stop();
    await etcd.close();
  });

  await app.register(pageRoutes, { poller, gamedayAgentPort: config.gamedayAgentPort });
  await app.register(eventsRoutes, { poller });
  await app.register(controlRoutes, { poller, ...targets });
  return app;
}
