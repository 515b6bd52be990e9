import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import { retry } from '@sdl/retry';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { loadMigrations, migrate } from './migrator.js';
import { formatReadToken, type ReadScope } from '../replication/read-scope.js';
import { createShardPools, type ShardPools } from './shard-pools.js';

declare module 'fastify' {
  interface FastifyInstance {
    shards: ShardPools;
  }
}

export interface PostgresPluginOptions {
  readonly primaries: readonly string[];
  /** Streaming replica of each shard (same index); empty or `-` = that shard has none. */
  readonly replicas: readonly string[];
  readonly replicaProbeMs: number;
  readonly replicaIdleProbeMs: number;
  readonly maxReplicaLagMs: number;
  readonly maxReplicaLagBytes: number;
  readonly tokenlessReads: 'primary' | 'replica';
  /** PARTITION_MODE: what a read does when the primary is unreachable (see ShardPools). */
  readonly partitionMode?: 'consistency' | 'availability';
  readonly logger: Logger;
  readonly registry: Registry;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** Default: the package's src/db/migrations. */
  readonly migrationsDir?: string;
}

const RETRY = { minMs: 500, maxMs: 10_000 } as const;

/**
 * The shard pools as `app.shards`. Every shard is migrated at start-up; a shard that cannot be
 * reached then does not stop the node (the other shards serve): it is retried in the background
 * with backoff and answers 503 until migrated. Pools end in onClose.
 */
export const postgresPlugin = fp<PostgresPluginOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'postgres' });
    const migrations = await loadMigrations(options.migrationsDir);
    const shards = createShardPools({
      urls: options.primaries,
      // A repointed shard's new primary is migrated before it serves (a no-op on a promoted
      // replica; a fresh server gets the schema), retried until it answers or a newer repoint wins.
      preparePrimary: (pool, shard, signal) =>
        retry(() => migrate(pool, migrations, log.child({ shard })), {
          ...RETRY,
          signal,
          onRetry: (err, _attempt, retryInMs) =>
            log.warn({ err, shard, retryInMs }, 'new shard primary not migratable yet; the old pool serves meanwhile'),
        }).then(() => undefined),
      logger: options.logger,
      registry: options.registry,
      poolMax: options.poolMax,
      connectTimeoutMs: options.connectTimeoutMs,
      statementTimeoutMs: options.statementTimeoutMs,
      replicaUrls: options.replicas.map((url) => (url === '-' ? undefined : url)),
      replicaProbeMs: options.replicaProbeMs,
      replicaIdleProbeMs: options.replicaIdleProbeMs,
      maxReplicaLagMs: options.maxReplicaLagMs,
      maxReplicaLagBytes: options.maxReplicaLagBytes,
      tokenlessReplicaReads: options.tokenlessReads === 'replica',
      partitionMode: options.partitionMode,
      timing: app.serverTiming,
    });
    const replicas = new Gauge({
      name: 'api_shard_replica_configured',
      help: '1 when a streaming replica URL is configured for the shard',
      labelNames: ['shard'] as const,
      registers: [options.registry],
    });
    for (let shard = 0; shard < shards.count; shard++) {
      replicas.set({ shard: String(shard) }, shards.replicas.replicaPool(shard) === undefined ? 0 : 1);
    }

    // Each shard's migration is retried in the background until it succeeds; start-up waits for
    // the first attempt only, so a shard that is down does not hold the others back.
    const stop = new AbortController();
    const retrying: Promise<unknown>[] = [];
    const firstAttempts = Array.from({ length: shards.count }, (_, shard) => {
      let firstDone: () => void = () => undefined;
      const first = new Promise<void>((resolve) => (firstDone = resolve));
      const migrating = retry(
        async (attempt) => {
          try {
            await migrate(shards.pool(shard), migrations, log.child({ shard }));
            shards.markMigrated(shard);
          } finally {
            if (attempt === 1) firstDone();
          }
        },
        {
          ...RETRY,
          signal: stop.signal,
          onRetry: (err, _attempt, retryInMs) =>
            log.error({ err, shard, retryInMs }, 'shard migration failed; the shard answers 503 until it succeeds'),
        },
      );
      retrying.push(migrating.catch(() => undefined)); // only shutdown ends it early
      return first;
    });
    await Promise.all(firstAttempts);

    app.decorate('shards', shards);
    shards.startReplicaProbes();
    // Each request runs in its read scope: its `x-read-token` steers replica reads, and its writes'
    // LSNs come back as `x-read-token`, where its reads went as `x-read-from`.
    const scopes = new WeakMap<FastifyRequest, ReadScope>();
    app.addHook('onRequest', (req, _reply, done) => {
      shards.scopes.run(req.headers['x-read-token'], (scope) => {
        scopes.set(req, scope);
        done();
      });
    });
    app.addHook('onSend', async (req, reply) => {
      const scope = scopes.get(req);
      if (scope === undefined) return;
      if (scope.writes.size > 0) void reply.header('x-read-token', formatReadToken(scope.writes));
      if (scope.from === 'replica-stale') void reply.header('x-read-from', 'replica').header('x-stale', 'true');
      else if (scope.from !== undefined) void reply.header('x-read-from', scope.from);
    });
    for (let shard = 0; shard < shards.count; shard++) {
      app.readiness.add(`shard-${shard}`, () => shards.ping(shard));
    }
    app.addHook('preClose', async () => stop.abort());
    app.addHook('onClose', async () => {
      stop.abort();
      await Promise.all(retrying);
      await shards.close();
    });
  },
  { name: 'postgres' },
);
