import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { idleBillingWork, type BillingWork } from './billing-work.js';
import type { BillingLeaderConfig } from '../config.js';
import type { ShardPrimaries } from '../shards/shard-primaries.js';
import { shardsPlugin } from '../shards/shards-plugin.js';
import { shardEndpointsPlugin } from '../shards/shard-endpoints-plugin.js';
import { createBillingMetrics } from './billing-metrics.js';
import { createBillingSettings } from './billing-settings.js';
import { createChargeWork } from './charge-work.js';
import { createProviderClient } from './provider-client.js';
import { settingsRoutes } from './settings-routes.js';

export interface BillingSetupOptions {
  readonly config: BillingLeaderConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Shard primaries made elsewhere (tests); not closed by the app. */
  readonly shards?: ShardPrimaries;
}

/**
 * Registers the charging machinery on the app (the shard primaries with their readiness check,
 * the run-time settings routes) and returns the work the leader runs every tick: the charging
 * work, or idle work when no SHARD_PRIMARIES are configured.
 */
export async function setUpBilling(app: FastifyInstance, options: BillingSetupOptions): Promise<BillingWork> {
  const { config, logger } = options;
  await app.register(shardsPlugin, {
    urls: config.shardPrimaries,
    logger,
    poolMax: config.pgPoolMax,
    connectTimeoutMs: config.pgConnectTimeoutMs,
    statementTimeoutMs: config.pgStatementTimeoutMs,
    client: options.shards,
  });
  // The primaries follow a failover's endpoints in etcd (shards/shard-endpoints-plugin.ts).
  await app.register(shardEndpointsPlugin, { logger, registry: options.metrics.registry });
  const settings = createBillingSettings({
    periodSeconds: config.billingPeriodSeconds,
    fencing: config.billingFencing,
    pendingRetryAfterMs: config.pendingRetryAfterMs,
    writeStallMs: config.billingWriteStallMs,
  });
  await app.register(settingsRoutes, { settings });
  if (app.shardPrimaries === undefined) {
    logger.warn('no SHARD_PRIMARIES: this replica campaigns but charges nothing');
    return idleBillingWork;
  }
  const metrics = createBillingMetrics(options.metrics.registry);
  return createChargeWork({
    shards: app.shardPrimaries,
    provider: createProviderClient({ url: config.paymentsUrl, timeoutMs: config.providerTimeoutMs, metrics }),
    settings,
    metrics,
    logger,
    batch: config.billingBatch,
    concurrency: config.billingConcurrency,
    providerAttempts: config.providerAttempts,
  });
}
