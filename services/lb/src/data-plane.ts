import type { AddressInfo } from 'node:net';
import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import type { AccessLog, LoadShedder } from '@sdl/server';
import { createBalancer, type Balancer } from './balancer.js';
import type { LbConfig } from './config.js';
import { createLbMetrics } from './metrics.js';
import { parsePathRoutes } from './proxy/path-routes.js';
import { createProxyHandler } from './proxy/proxy.js';
import { createProxyServer } from './proxy/proxy-server.js';
import { createHealthChecker } from './upstreams/health-checker.js';
import { parseStaticUpstreams } from './upstreams/host-spec.js';
import { createOutlierDetector } from './upstreams/outlier-detector.js';
import { createUpstreamSet, type UpstreamSet } from './upstreams/upstream-set.js';

export interface DataPlaneDeps {
  readonly config: LbConfig;
  readonly logger: Logger;
  /** Where the lb_* series go (the process's registry). */
  readonly registry: Registry;
  readonly shedder: LoadShedder | undefined;
  readonly accessLog: AccessLog;
}

/**
 * Everything that forwards requests, without the admin app: the upstream set (static hosts added),
 * the balancer and its strategy state, active health checks, outlier detection and the proxy server.
 * One per process: the lb's own process with LB_WORKERS=1, each worker process with more (so the
 * strategy state, in-flight counts, passive health and ejections are per worker, as in nginx).
 */
export interface DataPlane {
  readonly upstreams: UpstreamSet;
  readonly balancer: Balancer;
  /** Listens the proxy on config.host:config.proxyPort; `reusePort` lets several workers share it. */
  listen(reusePort: boolean): Promise<AddressInfo>;
  address(): AddressInfo | undefined;
  /** Requests the proxy received. */
  served(): number;
  /** Starts the active health checks (once the set has its first hosts). */
  start(): void;
  /** Drains the proxy for up to `drainMs`, then stops the checks and closes the pools. */
  close(drainMs: number): Promise<void>;
}

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const { config, logger } = deps;
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
  const lbMetrics = createLbMetrics(deps.registry, upstreams, balancer);
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
      shedder: deps.shedder,
      accessLog: deps.accessLog,
    }),
    logger.child({ component: 'proxy' }),
    config.keepAliveTimeoutMs,
  );

  return {
    upstreams,
    balancer,
    async listen(reusePort) {
      const address = await proxy.listen(config.host, config.proxyPort, reusePort);
      logger.info(
        { port: address.port, strategy: balancer.strategy, upstreams: upstreams.list().length },
        'proxy listening',
      );
      return address;
    },
    address: () => proxy.address(),
    served: () => proxy.served,
    start: () => health.start(),
    async close(drainMs) {
      await proxy.close(drainMs);
      await health.stop();
      await upstreams.close();
    },
  };
}
