import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import { closeRedis, createRedisClient, type Redis } from '@sdl/redis';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createKafkaPublisher, type EventPublisher } from './kafka-publisher.js';
import { createOutboxMetrics, createOutboxRelay, type OutboxRelay } from './outbox-relay.js';
import { createRelayLocks } from './relay-locks.js';

export interface OutboxPluginOptions {
  /** Empty (and no `publisher`): the relay is off; outbox rows accumulate until a node relays them. */
  readonly brokers: readonly string[];
  /** A stand-in publisher (tests); when given, the plugin does not close it. */
  readonly publisher?: EventPublisher;
  readonly clientId: string;
  readonly topic: string;
  /** Topic per aggregate type; unlisted types go to `topic`. */
  readonly topics?: Readonly<Record<string, string>>;
  readonly batchSize: number;
  readonly pollMs: number;
  /** One URL per independent lock Redis; empty (and no `lockClients`): every node relays every shard. */
  readonly lockUrls: readonly string[];
  /** Stand-in lock clients (tests); when given, the plugin does not close them. */
  readonly lockClients?: readonly Redis[];
  /** TTL of each shard's relay lock, ms; extended every third of it. */
  readonly lockTtlMs: number;
  /** Bound on each lock instance's answer, ms. */
  readonly lockTimeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
}

/**
 * One outbox relay per shard, started once the app is ready and stopped in preClose (so the
 * tick in progress finishes before the pools end in onClose); the Kafka publisher closes last.
 * With lock Redis instances, a shard's relay runs only on the node holding its Redlock, and the
 * locks are released in preClose, after the relays stopped, so another node takes over at once.
 * Needs the postgres plugin (`app.shards`).
 */
export const outboxPlugin = fp<OutboxPluginOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'outbox' });
    const owned = options.publisher === undefined;
    if (owned && options.brokers.length === 0) {
      log.info('no KAFKA_BROKERS: outbox relay disabled');
      return;
    }
    const publisher =
      options.publisher ??
      createKafkaPublisher({ brokers: options.brokers, clientId: options.clientId, logger: options.logger });
    const metrics = createOutboxMetrics(options.registry);
    const ownsLockClients = options.lockClients === undefined;
    const lockClients =
      options.lockClients ??
      options.lockUrls.map((url, i) =>
        createRedisClient({
          url,
          timeoutMs: options.lockTimeoutMs,
          logger: options.logger,
          name: `sdl-api-lock-${i + 1}`,
        }),
      );
    const locks =
      lockClients.length === 0
        ? undefined
        : createRelayLocks({
            clients: lockClients,
            shardCount: app.shards.count,
            ttlMs: options.lockTtlMs,
            instanceTimeoutMs: options.lockTimeoutMs,
            logger: options.logger,
            registry: options.registry,
          });
    const relays: OutboxRelay[] = Array.from({ length: app.shards.count }, (_, shard) =>
      createOutboxRelay({
        shard,
        shards: app.shards,
        publisher,
        topic: options.topic,
        topics: options.topics ?? {},
        batchSize: options.batchSize,
        pollMs: options.pollMs,
        ...(locks === undefined ? {} : { mayRelay: () => locks.holds(shard) }),
        logger: options.logger,
        metrics,
      }),
    );

    app.addHook('onReady', async () => {
      locks?.start();
      for (const relay of relays) relay.start();
      log.info({ shards: relays.length, topic: options.topic, locked: locks !== undefined }, 'outbox relays started');
    });
    app.addHook('preClose', async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
      await locks?.stop();
    });
    app.addHook('onClose', async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
      await locks?.stop();
      if (ownsLockClients) await Promise.all(lockClients.map((redis) => closeRedis(redis)));
      if (owned) await publisher.close();
    });
  },
  { name: 'outbox', dependencies: ['postgres'] },
);
