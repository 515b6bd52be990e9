import type { AddressInfo } from 'node:net';
import type { Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createAccessLog, createApp, etcdPlugin, loadSheddingOf, type AccessLog } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import type { LbConfig } from './config.js';
import { localControl, type LbControl } from './control.js';
import { createDataPlane } from './data-plane.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { startDiscovery, type Discovery } from './upstreams/discovery.js';
import type { HostSpec } from './upstreams/host-spec.js';
import { parseStaticUpstreams } from './upstreams/host-spec.js';
import { createWorkerPool } from './workers/primary.js';

declare module 'fastify' {
  interface FastifyInstance {
    lb: LbRuntime;
  }
}

/** The lb's live parts, decorated on the admin app (tests read the proxy's address from it). */
export interface LbRuntime {
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

/** How the admin app reaches the proxying side: this process's data plane, or the workers'. */
interface ProxySide {
  readonly control: LbControl;
  readonly runtime: LbRuntime;
  setHosts(specs: HostSpec[]): void;
  start(): void;
  close(drainMs: number): Promise<void>;
}

/**
 * Builds the admin app (healthz, readyz, metrics, /admin/lb) and the proxy beside it. Neither
 * listens here: main.ts listens the proxy with `app.lb.listenProxy()` once the app is ready, and
 * the admin app's onClose drains the proxy, so the graceful shutdown covers both. With
 * LB_WORKERS > 1 the proxy runs in that many worker processes (src/workers/): this process keeps
 * the admin app and etcd discovery.
 */
export async function buildApp(deps: LbDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const multi = config.lbWorkers > 1;
  const app = createApp({ logger, metrics, loadShedding: loadSheddingOf(config), metricsRoute: !multi });
  // Discovery's etcd client first: it closes after everything below has stopped using it.
  await app.register(etcdPlugin, { endpoints: config.etcdEndpoints, logger, client: deps.coordinator });

  const side = multi ? workerSide(app, deps) : localSide(app, deps);
  app.decorate('lb', side.runtime);
  registerAdminRoutes(app, side.control);

  let discovery: Discovery | undefined;
  app.addHook('onReady', async () => {
    if (app.etcd !== undefined) {
      discovery = startDiscovery({
        coordinator: app.etcd,
        prefix: config.discoveryPrefix,
        logger,
        onHosts: (specs) => side.setHosts(specs),
      });
    }
    side.start();
  });
  app.addHook('onClose', async () => {
    // Leave a second of the grace period for the rest of the shutdown after the drain.
    await side.close(Math.max(0, config.shutdownGraceMs - 1000));
    await discovery?.close();
  });
  return app;
}

function localSide(app: FastifyInstance, deps: LbDeps): ProxySide {
  const { config, logger } = deps;
  const plane = createDataPlane({
    config,
    logger,
    registry: deps.metrics.registry,
    shedder: app.loadShedder,
    accessLog: deps.accessLog ?? createAccessLog(config.accessLog),
  });
  return {
    control: localControl(plane.balancer, plane.upstreams),
    runtime: { listenProxy: () => plane.listen(false), proxyAddress: () => plane.address() },
    setHosts: (specs) => plane.upstreams.reconcile('etcd', specs),
    start: () => plane.start(),
    close: (drainMs) => plane.close(drainMs),
  };
}

function workerSide(app: FastifyInstance, deps: LbDeps): ProxySide {
  const { config, logger, metrics } = deps;
  const pool = createWorkerPool({
    count: config.lbWorkers,
    logger,
    registry: metrics.registry,
    staticHosts: parseStaticUpstreams(config.staticUpstreams),
  });
  let address: AddressInfo | undefined;
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await pool.metrics()));
  app.readiness.add('workers', async () => {
    if (pool.listening < config.lbWorkers)
      throw new Error(`${pool.listening} of ${config.lbWorkers} workers listening`);
  });
  // The primary's SIGUSR2 (runService opens its own access log) opens every worker's too.
  const onSignal = (): void => pool.openAccessLog(config.accessLogSignalMs);
  process.on('SIGUSR2', onSignal);
  return {
    control: pool.control,
    runtime: {
      async listenProxy() {
        const port = await pool.start();
        address = { address: config.host, family: 'IPv4', port };
        logger.info({ port, workers: config.lbWorkers, strategy: config.strategy }, 'proxy workers listening');
        return address;
      },
      proxyAddress: () => address,
    },
    setHosts: (specs) => pool.setHosts(specs),
    start: () => undefined,
    async close(drainMs) {
      process.off('SIGUSR2', onSignal);
      await pool.close(drainMs);
    },
  };
}
