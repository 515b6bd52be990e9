import type { AddressInfo } from 'node:net';
import type { Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createAccessLog, createApp, etcdPlugin, loadSheddingOf, type AccessLog } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { createBalancer, type Balancer } from './balancer.js';
import type { LbConfig } from './config.js';
import { createLbMetrics } from './metrics.js';
import { parsePathRoutes } from './proxy/path-routes.js';
import { createProxyHandler } from './proxy/proxy.js';
import { createProxyServer } from './proxy/proxy-server.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { startDiscovery, type Discovery } from './upstreams/discovery.js';
import { createHealthChecker } from './upstreams/health-checker.js';
import { parseStaticUpstreams } from './upstreams/host-spec.js';
import { createOutlierDetector } from './upstreams/outlier-detector.js';
import { createUpstreamSet, type UpstreamSet } from './upstreams/upstream-set.js';

declare module 'fastify' {
  interface FastifyInstance {
    lb: LbRuntime;
  }
}

/** The lb's live parts, decorated on the admin app (tests read the proxy's address from it). */
export interface LbRuntime {
  readonly upstreams: UpstreamSet;
  readonly balancer: Balancer;
  /** Starts the proxy listener on config.host:config.proxyPort (main.ts calls it once ready). */
  listenProxy(): Promise<AddressInfo>;
  /** Where the proxy listens; undefined until listenProxy. */
  proxyAddress(): AddressInfo | undefined;
}

export interface LbDeps {
  readonly config: LbConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The access-log switch (runService's, which SIGUSR2 opens); default: one in ACCESS_LOG's mode. */
  readonly accessLog?: AccessLog;
  /** Injected by tests (and not closed by the app); by default made from ETCD_ENDPOINTS (none: discovery off). */
  readonly coordinator?: Coordinator;
}

/**
 * Builds the admin app (healthz, readyz, metrics, /admin/lb) and the proxy beside it. Neither
 * listens here: main.ts listens the proxy with `app.lb.listenProxy()` once the app is ready, and
 * the admin app's onClose drains the proxy, so the graceful shutdown covers both.
 */
export async function buildApp(deps: LbDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const app = createApp({ logger, metrics, loadShedding: loadSheddingOf(config) });
  // Discovery's etcd client first: it closes after everything below has stopped using it.
  await app.register(etcdPlugin, { endpoints: config.etcdEndpoints, logger, client: deps.coordinator });

  const upstreams = createUpstreamSet({
    logger,
    pool: {
      connections: config.upstreamConnections,
      connectTimeoutMs: config.connectTimeoutMs,
      tryTimeoutMs: config.tryTimeoutMs,
    },
    health: { fall: config.healthFall, rise: config.healthRise },
    warmup: { slowStartMs: config.slowStartMs },
  });
  upstreams.reconcile('static', parseStaticUpstreams(config.staticUpstreams));
  const balancer = createBalancer(upstreams, {
    strategy: config.strategy,
    hashKey: config.hashKey,
    trustedHops: config.trustedHops,
    vnodes: config.ringVnodes,
    boundedLoadFactor: config.boundedLoadFactor,
    maglevSize: config.maglevTableSize,
    panicThresholdPercent: config.panicThresholdPercent,
    routes: parsePathRoutes(config.routes),
  });
  const lbMetrics = createLbMetrics(metrics.registry, upstreams);
  const outliers = createOutlierDetector(
    {
      consecutiveErrors: config.outlierConsecutiveErrors,
      baseEjectionMs: config.outlierBaseEjectionMs,
      maxEjectionMs: config.outlierMaxEjectionMs,
      maxEjectionPercent: config.outlierMaxEjectionPercent,
    },
    () => upstreams.list(),
    logger,
    (host) => lbMetrics.ejections.inc({ upstream: host.id }),
  );
  const health = createHealthChecker({
    upstreams,
    logger,
    intervalMs: config.healthIntervalMs,
    timeoutMs: config.healthTimeoutMs,
  });
  const proxy = createProxyServer(
    createProxyHandler({
      balancer,
      metrics: lbMetrics,
      logger,
      retries: config.retries,
      keyedRetryBodyLimitBytes: config.keyedRetryBodyLimitBytes,
      serverTiming: config.serverTiming,
      outliers,
      retryBudget: { percent: config.retryBudgetPercent, minConcurrent: config.retryBudgetMinConcurrent },
      shedder: app.loadShedder,
      accessLog: deps.accessLog ?? createAccessLog(config.accessLog),
    }),
    logger.child({ component: 'proxy' }),
  );

  let discovery: Discovery | undefined;

  const listenProxy = async (): Promise<AddressInfo> => {
    const address = await proxy.listen(config.host, config.proxyPort);
    logger.info(
      { port: address.port, strategy: balancer.strategy, upstreams: upstreams.list().length },
      'proxy listening',
    );
    return address;
  };
  app.decorate('lb', { upstreams, balancer, listenProxy, proxyAddress: () => proxy.address() } satisfies LbRuntime);

  registerAdminRoutes(app, balancer, upstreams);

  app.addHook('onReady', async () => {
    if (app.etcd !== undefined) {
      discovery = startDiscovery({
        coordinator: app.etcd,
        prefix: config.discoveryPrefix,
        logger,
        onHosts: (specs) => upstreams.reconcile('etcd', specs),
      });
    }
    health.start();
  });

  app.addHook('onClose', async () => {
    // Leave a second of the grace period for the rest of the shutdown after the drain.
    await proxy.close(Math.max(0, config.shutdownGraceMs - 1000));
    await health.stop();
    await discovery?.close();
    await upstreams.close();
  });

  return app;
}
