import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { loadMigrations, migrate } from '../migrator.js';
import { createShardPools, type ShardPools } from '../shard-pools.js';

declare module 'fastify' {
  interface FastifyInstance {
    shards: ShardPools;
  }
}

export interface PostgresPluginOptions {
  readonly primaries: readonly string[];
  /** Kept for the replica read path; today only reported as a metric. */
  readonly replicas: readonly string[];
  readonly logger: Logger;
  readonly registry: Registry;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** Default: the package's src/migrations. */
  readonly migrationsDir?: string;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * The shard pools as `app.shards`. Every shard is migrated at start-up; a shard that cannot be
 * reached then does not stop the node (the other shards serve): it is retried in the background
 * with backoff and answers 503 until migrated. Pools end in onClose.
 */
export const postgresPlugin = fp<PostgresPluginOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'postgres' });
    const shards = createShardPools({
      urls: options.primaries,
      logger: options.logger,
      registry: options.registry,
      poolMax: options.poolMax,
      connectTimeoutMs: options.connectTimeoutMs,
      statementTimeoutMs: options.statementTimeoutMs,
    });
    const replicas = new Gauge({
      name: 'api_shard_replica_configured',
      help: '1 when a streaming replica URL is configured for the shard (reads use it in a later version)',
      labelNames: ['shard'] as const,
      registers: [options.registry],
    });
    for (let shard = 0; shard < shards.count; shard++) {
      replicas.set({ shard: String(shard) }, options.replicas[shard] === undefined ? 0 : 1);
    }

    const migrations = await loadMigrations(options.migrationsDir);
    let closing = false;
    const timers = new Set<NodeJS.Timeout>();
    const inFlight = new Set<Promise<void>>();

    const attempt = async (shard: number, delayMs: number): Promise<void> => {
      try {
        await migrate(shards.pool(shard), migrations, log.child({ shard }));
        shards.markMigrated(shard);
      } catch (err) {
        if (closing) return;
        log.error({ err, shard, retryInMs: delayMs }, 'shard migration failed; the shard answers 503 until it succeeds');
        const timer = setTimeout(() => {
          timers.delete(timer);
          track(attempt(shard, Math.min(delayMs * 2, RETRY_MAX_MS)));
        }, delayMs);
        timers.add(timer);
      }
    };
    const track = (p: Promise<void>): void => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };

    const first = Array.from({ length: shards.count }, (_, shard) => attempt(shard, RETRY_MIN_MS));
    await Promise.all(first);

    app.decorate('shards', shards);
    for (let shard = 0; shard < shards.count; shard++) {
      app.readiness.add(`shard-${shard}`, () => shards.ping(shard));
    }
    const stopRetrying = (): void => {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
    };
    app.addHook('preClose', async () => stopRetrying());
    app.addHook('onClose', async () => {
      stopRetrying();
      await Promise.allSettled(inFlight);
      await shards.close();
    });
  },
  { name: 'postgres' },
);
