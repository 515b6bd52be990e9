import { ConfigError } from '@sdl/config';
import type { Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { createAccountCache } from './account-cache.js';
import { createAccountRepository } from './account-repository.js';
import { createAccountService } from './account-service.js';
import type { ApiConfig } from './config.js';
import type { EventPublisher } from './event-publisher.js';
import { outboxPlugin } from './plugins/outbox.js';
import { postgresPlugin } from './plugins/postgres.js';
import { redisPlugin } from './plugins/redis.js';
import { registrationPlugin } from './plugins/registration.js';
import { accountRoutes } from './routes/accounts.js';
import { whoamiRoutes } from './routes/whoami.js';
import { createShardRouter } from './shard-router.js';

export interface ApiDeps {
  readonly config: ApiConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Replaces the Kafka publisher of the outbox relay (tests). */
  readonly publisher?: EventPublisher;
  /** Replaces the etcd coordinator built from ETCD_ENDPOINTS (tests). */
  readonly coordinator?: Coordinator;
  /** Default: the package's src/migrations. */
  readonly migrationsDir?: string;
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
  if (config.shardReplicas.length > 0 && config.shardReplicas.length !== config.shardPrimaries.length) {
    throw new ConfigError([
      { key: 'SHARD_REPLICAS', message: `needs one URL per shard primary (${config.shardPrimaries.length})` },
    ]);
  }

  const app = createApp({ logger, metrics });
  try {
    await app.register(postgresPlugin, {
      primaries: config.shardPrimaries,
      replicas: config.shardReplicas,
      logger,
      registry,
      poolMax: config.pgPoolMax,
      connectTimeoutMs: config.pgConnectTimeoutMs,
      statementTimeoutMs: config.pgStatementTimeoutMs,
      ...(deps.migrationsDir === undefined ? {} : { migrationsDir: deps.migrationsDir }),
    });
    await app.register(redisPlugin, { url: config.redisCacheUrl, timeoutMs: config.redisTimeoutMs, logger, registry });
    await app.register(outboxPlugin, {
      brokers: config.kafkaBrokers,
      ...(deps.publisher === undefined ? {} : { publisher: deps.publisher }),
      clientId: `api-${config.nodeId}`,
      topic: config.accountsTopic,
      batchSize: config.outboxBatch,
      pollMs: config.outboxPollMs,
      logger,
      registry,
    });
    await app.register(registrationPlugin, {
      endpoints: config.etcdEndpoints,
      ...(deps.coordinator === undefined ? {} : { coordinator: deps.coordinator }),
      ...registryEntry(config),
      ttlSeconds: config.registryTtlS,
      logger,
    });

    const router = createShardRouter(app.shards.count);
    const cache = createAccountCache({ redis: app.cacheRedis, ttlSeconds: config.cacheTtlS, logger, registry });
    const accounts = createAccountService({ router, repository: createAccountRepository(app.shards), cache });

    await app.register(accountRoutes, { accounts });
    await app.register(whoamiRoutes, { nodeId: config.nodeId });
  } catch (err) {
    // Whatever was opened so far (pools, Redis) closes with the half-built app.
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
