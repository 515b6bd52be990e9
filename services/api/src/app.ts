import type { Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';
import {
  createAccessLog,
  createAdminListener,
  runTimeSettingsRoutes,
  createApp,
  loadSheddingOf,
  optionalEtcdPlugin,
  type AccessLog,
  type AdminListener,
} from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { asAccount, type Account } from './domain/accounts/account.js';
import { createAccountService } from './domain/accounts/account-service.js';
import type { ApiConfig } from './config.js';
import { ApiSettingsSchema, createApiSettings } from './run-time-settings.js';
import { createCacheMetrics, createEntityCache, type L1Shape } from './cache/entity-cache.js';
import { serveOpenApi } from './routes/openapi.js';
import { asPost, postCacheId, type Post } from './domain/posts/post.js';
import { createPostService } from './domain/posts/post-service.js';
import { viewsFlusherPlugin } from './cache/write-back/views-flusher-plugin.js';
import { createSubscriptionService } from './domain/subscriptions/subscription-service.js';
import { BillingLedgerRepository } from './domain/billing/billing-ledger.js';
import { billingLedgerPlugin } from './domain/billing/billing-ledger-consumer.js';
import { createViewCounter } from './cache/write-back/view-counter.js';
import { reportCacheModes } from './cache/cache-modes.js';
import type { EventPublisher } from './outbox/kafka-publisher.js';
import { kafkaPublisherPlugin, lockRedisPlugin, outboxPlugin } from './outbox/outbox-plugin.js';
import { postgresPlugin } from './db/postgres-plugin.js';
import { shardEndpointsPlugin } from './db/shard-endpoints-plugin.js';
import { cacheHealthPlugin, redisPlugin } from './cache/redis-plugin.js';
import { cacheInvalidationPlugin, type EventSubscriber } from './cache/l1-invalidation.js';
import { createL1Switch } from './cache/l1-switch.js';
import { registrationPlugin } from './coordination/registration-plugin.js';
import { shardMapPlugin } from './sharding/shard-map-plugin.js';
import { moveRoutes } from './sharding/move-routes.js';
import { accountRoutes } from './routes/accounts.js';
import { postRoutes } from './routes/posts.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { billingRoutes } from './routes/billing.js';
import { whoamiRoutes } from './routes/whoami.js';
import { kvRoutes } from './routes/kv.js';
import { createShardRouter } from './sharding/shard-router.js';
import { createBloomRepositories } from './bloom-filter/bloom-repositories.js';
import { bloomSizing } from './bloom-filter/bloom-sizing.js';
import { createBloomSwitch } from './bloom-filter/bloom-switch.js';
import { gatewayTrustPlugin } from './tenancy/gateway-trust.js';
import { accountOwnerGuardPlugin } from './tenancy/account-owner-guard.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin listener (ADMIN_PORT > 0): partition moves, probes, metrics; main.ts listens it. */
    apiAdmin?: AdminListener;
  }
}

export interface ApiDeps {
  readonly config: ApiConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Replaces the Kafka publisher of the outbox relay (tests). */
  readonly publisher?: EventPublisher;
  /** Replaces the relay lock's Redis clients built from REDIS_LOCK_URLS (tests); not closed by the app. */
  readonly lockClients?: readonly Redis[];
  /** Replaces the etcd coordinator built from ETCD_ENDPOINTS (tests). */
  readonly coordinator?: Coordinator;
  /** Default: the package's src/db/migrations. */
  readonly migrationsDir?: string;
  /** Replaces the Kafka source of L1 invalidation events (tests). */
  readonly cacheEvents?: EventSubscriber;
  /** Replaces the Kafka source of billing.events for the billing ledger projection (tests). */
  readonly billingEvents?: EventSubscriber;
  /** The access-log switch (runService's, which SIGUSR2 opens); default: one in ACCESS_LOG's mode. */
  readonly accessLog?: AccessLog;
}

/** The registration value the lb reads: `{ id, url, weight }`. */
export function registryEntry(config: ApiConfig): { key: string; value: string } {
  const url = config.advertiseUrl ?? `http://${config.nodeId}:${config.port}`;
  return {
    key: `${config.registryPrefix}${config.nodeId}`,
    value: JSON.stringify({ id: config.nodeId, url, weight: config.weight }),
  };
}

/**
 * An api node: infrastructure plugins (shards, cache, outbox relay, registration), then the
 * account domain, then routes. It never listens; main.ts does.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const registry = metrics.registry;

  const app = createApp({
    logger,
    metrics,
    loadShedding: loadSheddingOf(config),
    serverTiming: { prefix: 'api', enabled: config.serverTiming },
    accessLog: deps.accessLog ?? createAccessLog(config.accessLog),
  });
  try {
    await app.register(postgresPlugin, {
      primaries: config.shardPrimaries,
      replicas: config.shardReplicas,
      replicaProbeMs: config.replicaProbeMs,
      replicaIdleProbeMs: config.replicaIdleProbeMs,
      maxReplicaLagMs: config.maxReplicaLagMs,
      maxReplicaLagBytes: config.maxReplicaLagBytes,
      tokenlessReads: config.tokenlessReads,
      partitionMode: config.partitionMode,
      logger,
      registry,
      poolMax: config.pgPoolMax,
      connectTimeoutMs: config.pgConnectTimeoutMs,
      statementTimeoutMs: config.pgStatementTimeoutMs,
      ...(deps.migrationsDir === undefined ? {} : { migrationsDir: deps.migrationsDir }),
    });
    await app.register(redisPlugin, {
      url: config.redisCacheUrl,
      timeoutMs: config.redisTimeoutMs,
      logger,
      registry,
      viewsWriteBack: config.viewsMode === 'write-back',
    });
    await app.register(cacheHealthPlugin);
    await app.register(kafkaPublisherPlugin, {
      brokers: config.kafkaBrokers,
      clientId: `api-${config.nodeId}`,
      acks: config.kafkaAcks === 'all' ? 'all' : config.kafkaAcks === '1' ? 1 : 0,
      idempotent: config.kafkaIdempotent,
      logger,
      client: deps.publisher,
    });
    await app.register(lockRedisPlugin, {
      urls: config.redisLockUrls,
      timeoutMs: config.redisTimeoutMs,
      logger,
      client: deps.lockClients,
    });
    await app.register(outboxPlugin, {
      topic: config.accountsTopic,
      // One topic per aggregate type, keyed by aggregate id (per-aggregate order).
      topics: {
        account: config.accountsTopic,
        post: config.postsTopic,
        subscription: config.subscriptionsTopic,
        // billing-leader writes charge events into the same outbox; this relay publishes them.
        charge: config.billingTopic,
      },
      batchSize: config.outboxBatch,
      pollMs: config.outboxPollMs,
      notify: config.outboxNotify,
      lockTtlMs: config.outboxLockTtlMs,
      lockTimeoutMs: config.redisTimeoutMs,
      logger,
      registry,
    });
    await app.register(optionalEtcdPlugin, {
      endpoints: config.etcdEndpoints,
      client: deps.coordinator,
      logger,
    });
    await app.register(shardEndpointsPlugin, { logger, registry });
    await app.register(registrationPlugin, {
      ...registryEntry(config),
      ttlSeconds: config.registryTtlS,
      logger,
    });

    const router = createShardRouter(app.shards.count);
    await app.register(shardMapPlugin, { router, key: config.shardMapKey, logger, registry });
    const cacheMetrics = createCacheMetrics(registry);
    reportCacheModes(registry, {
      account: config.accountsCacheMode,
      post: config.postsCacheMode,
      post_views: config.viewsMode,
    });
    const cacheCommon = {
      redis: app.cacheRedis,
      ttlSeconds: config.cacheTtlS,
      negativeTtlSeconds: config.negativeCacheTtlS,
      fillLeaseMs: config.cacheStampede === 'lease' ? config.cacheFillLeaseMs : 0,
      xfetchBeta: config.cacheStampede === 'xfetch' ? config.cacheXfetchBeta : 0,
      l1: { maxEntries: config.cacheL1Entries, ttlMs: config.cacheL1TtlMs, policy: config.cacheL1Policy },
      logger,
      metrics: cacheMetrics,
      timing: app.serverTiming,
    };
    const accountCache = createEntityCache<Account>({
      ...cacheCommon,
      entity: 'account',
      mode: config.accountsCacheMode,
      parse: asAccount,
      idOf: (a) => a.id,
    });
    const postCache = createEntityCache<Post>({
      ...cacheCommon,
      entity: 'post',
      mode: config.postsCacheMode,
      parse: asPost,
      idOf: (p) => postCacheId(p.accountId, p.id),
    });
    // Without an L1 at start its consumer waits until the run-time settings turn one on.
    await app.register(cacheInvalidationPlugin, {
      brokers: config.kafkaBrokers,
      ...(deps.cacheEvents === undefined ? {} : { subscribe: deps.cacheEvents }),
      nodeId: config.nodeId,
      topics: [config.accountsTopic, config.postsTopic],
      caches: { account: accountCache, post: postCache },
      logger,
      registry,
      lazy: config.cacheL1Entries === 0,
    });
    // The switches a lab run may flip at run time (PARTITION_MODE, the L1...), on the admin listener.
    const switchL1 = createL1Switch({ caches: [accountCache, postCache], start: cacheCommon.l1, registry });
    const l1 = (shape: L1Shape): void => {
      switchL1(shape);
      if (shape.maxEntries > 0) app.l1Invalidation.start();
    };
    const bloom = createBloomSwitch({
      on: config.bloomFilter === 'on',
      redisUrl: config.redisCacheUrl,
      primaries: () => app.shards.primaries.pools,
      sizing: bloomSizing(config.bloomExpectedItems, config.bloomFalsePositiveRate),
      logger,
      registry,
    });
    app.addHook('onClose', async () => bloom.close());
    const settings = createApiSettings(config, { shards: app.shards, l1, bloom, registry });
    if (config.adminPort > 0) {
      const admin = createAdminListener(app, {
        host: config.host,
        port: config.adminPort,
        logger,
        metrics,
        ready: () => app.readiness.run(900),
      });
      app.decorate('apiAdmin', admin);
      await admin.app.register(runTimeSettingsRoutes, {
        path: '/admin/settings',
        schema: ApiSettingsSchema,
        settings,
        what: 'api settings',
      });
      await admin.app.register(moveRoutes, {
        primaries: app.shards.primaries.pools,
        store: app.shardMapStore,
        partitions: router.partitions,
        logger,
      });
    }
    // Each repository sits behind its entity's Bloom filter, consulted while BLOOM_FILTER is on (src/bloom-filter/).
    const repositories = createBloomRepositories({
      shards: app.shards,
      state: () => bloom.state(),
      redis: app.cacheRedis,
      logger,
      registry,
    });
    const accounts = createAccountService({
      router,
      repository: repositories.accounts,
      cache: accountCache,
    });
    const postRepository = repositories.posts;
    const posts = createPostService({ router, repository: postRepository, cache: postCache });
    const views = createViewCounter({
      mode: config.viewsMode,
      redis: app.cacheRedis,
      nodeId: config.nodeId,
      router,
      posts,
      repository: postRepository,
      logger,
      registry,
    });
    await app.register(viewsFlusherPlugin, { views, intervalMs: config.viewsFlushMs, logger });
    const subscriptions = createSubscriptionService(router, repositories.subscriptions);

    // Who is calling, then (for every account-scoped route registered below) whether they own it.
    await app.register(gatewayTrustPlugin, { secret: config.gatewaySecret });
    await app.register(accountOwnerGuardPlugin, { accounts });
    serveOpenApi(app, { title: 'System Design Lab api', version: '1' });
    await app.register(accountRoutes, { accounts, cacheMode: config.accountsCacheMode });
    await app.register(postRoutes, { posts, views, viewsMode: config.viewsMode });
    await app.register(subscriptionRoutes, { subscriptions });
    const ledger = new BillingLedgerRepository(app.shards);
    await app.register(billingLedgerPlugin, {
      brokers: config.kafkaBrokers,
      ...(deps.billingEvents === undefined ? {} : { subscribe: deps.billingEvents }),
      topic: config.billingTopic,
      router,
      ledger,
      logger,
      registry,
    });
    await app.register(billingRoutes, { router, ledger });
    await app.register(whoamiRoutes, { nodeId: config.nodeId });
    // The quorum key-value store over the lock Redis (N = REDIS_LOCK_URLS), keyed per tenant.
    await app.register(kvRoutes, {
      replicas: app.lockRedis,
      nodeId: config.nodeId,
      w: config.quorumW,
      r: config.quorumR,
      logger,
      registry,
    });
  } catch (err) {
    // Whatever was opened so far (pools, Redis) closes with the half-built app.
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
