import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { runTimeSettingsRoutes } from '@sdl/server';
import { idleBillingWork, type BillingWork } from './billing-work.js';
import type { BillingLeaderConfig } from '../config.js';
import type { ShardPrimaries } from '../shards/shard-primaries.js';
import { shardsPlugin } from '../shards/shards-plugin.js';
import { shardEndpointsPlugin } from '../shards/shard-endpoints-plugin.js';
import { createBillingMetrics } from './billing-metrics.js';
import { BillingSettingsSchema, createBillingSettings } from './billing-settings.js';
import { createChargeWork } from './charge-work.js';
import { createProviderClient } from './provider-client.js';

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
  // GET|PUT|DELETE /admin/billing: per replica; from the host `./lab compose exec billing-leader-1 ...`.
  await app.register(runTimeSettingsRoutes, {
    path: '/admin/billing',
    schema: BillingSettingsSchema,
    settings,
    what: 'billing settings',
  });
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
