import type { Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp, etcdPlugin, loadSheddingOf } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import type { BillingWork } from './billing/billing-work.js';
import { setUpBilling } from './billing/billing-setup.js';
import type { BillingLeaderConfig } from './config.js';
import { createLeadership } from './election/leadership.js';
import type { ShardPrimaries } from './shards/shard-primaries.js';
import { statusRoutes } from './routes/status.js';

export interface BillingLeaderDeps {
  readonly config: BillingLeaderConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Replaces the etcd coordinator built from ETCD_ENDPOINTS (tests); not closed by the app. */
  readonly coordinator?: Coordinator;
  /** Replaces the charging work the leader runs every tick. */
  readonly work?: BillingWork;
  /** Replaces the shard primaries built from SHARD_PRIMARIES (tests); not closed by the app. */
  readonly shards?: ShardPrimaries;
}

/**
 * A billing-leader replica: etcd, then the campaign and the leader loop, then routes. It starts
 * campaigning when the app is ready and, on close, resigns before etcd is closed so another
 * replica takes over at once. It never listens; main.ts does.
 */
export async function buildApp(deps: BillingLeaderDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const app = createApp({ logger, metrics, loadShedding: loadSheddingOf(config) });
  await app.register(etcdPlugin, {
    endpoints: config.etcdEndpoints,
    logger,
    client: deps.coordinator,
  });
  // ETCD_ENDPOINTS is required (minItems 1), so the plugin always made or was given a client.
  const etcd = app.etcd as Coordinator;

  const billing = await setUpBilling(app, {
    config,
    logger,
    metrics,
    ...(deps.shards === undefined ? {} : { shards: deps.shards }),
  });
  const leadership = createLeadership({
    campaign: () =>
      etcd.campaign({
        election: config.electionName,
        candidate: config.nodeId,
        ttlSeconds: config.electionTtlS,
        marginMs: config.electionMarginMs,
      }),
    work: deps.work ?? billing,
    nodeId: config.nodeId,
    tickMs: config.tickMs,
    logger,
    registry: metrics.registry,
  });
  // Campaign only once the app is ready: a replica that failed to boot must not lead.
  app.addHook('onReady', async () => leadership.start());
  // Hand over while etcd is still open (it closes in onClose): the next replica leads at once.
  app.addHook('preClose', async () => leadership.shutdown());

  await app.register(statusRoutes, { leadership });
  return app;
}
