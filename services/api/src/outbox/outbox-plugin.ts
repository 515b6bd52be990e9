import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import { closeRedis, createRedisClient, type Redis } from '@sdl/redis';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createClientPlugin } from '@sdl/server';
import { createKafkaPublisher, type EventPublisher, type KafkaPublisherOptions } from './kafka-publisher.js';
import { createOutboxMetrics, createOutboxRelay, type OutboxRelay } from './outbox-relay.js';
import { createRelayLocks } from './relay-locks.js';
import { reportLockPersistence } from './lock-persistence.js';
import type { ShardListener } from '../db/shard-listener.js';

// The channel 009_outbox_notify.sql notifies on each outbox insert.
const CHANNEL = 'sdl_outbox';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where the outbox relays publish; undefined without KAFKA_BROKERS (relay off). */
    outboxPublisher: EventPublisher | undefined;
    /** One client per independent lock Redis (REDIS_LOCK_URLS); empty: no relay locks. */
    lockRedis: readonly Redis[];
  }
}

/** The relays' Kafka publisher as `app.outboxPublisher` (none without brokers); closed in onClose if made here. */
export const kafkaPublisherPlugin = createClientPlugin({
  name: 'kafka-publisher',
  decorate: 'outboxPublisher',
  create: (options: KafkaPublisherOptions) =>
    options.brokers.length === 0 ? undefined : createKafkaPublisher(options),
  close: (publisher) => publisher.close(),
});

/** The Redlock instances' clients as `app.lockRedis`, one per URL; closed in onClose if made here. */
export const lockRedisPlugin = createClientPlugin({
  name: 'lock-redis',
  decorate: 'lockRedis',
  create: (options: { readonly urls: readonly string[]; readonly timeoutMs: number; readonly logger: Logger }) =>
    options.urls.map((url, i) =>
      createRedisClient({ url, timeoutMs: options.timeoutMs, logger: options.logger, name: `sdl-api-lock-${i + 1}` }),
    ),
  close: (clients) => Promise.all(clients.map((redis) => closeRedis(redis))),
});

export interface OutboxPluginOptions {
  readonly topic: string;
  /** Topic per aggregate type; unlisted types go to `topic`. */
  readonly topics?: Readonly<Record<string, string>>;
  readonly batchSize: number;
  readonly pollMs: number;
  /** Wake each shard's relay by LISTEN/NOTIFY on commit (009_outbox_notify.sql); polls are the safety net. */
  readonly notify: boolean;
  /** TTL of each shard's relay lock, ms; extended every third of it. */
  readonly lockTtlMs: number;
  /** Bound on each lock instance's answer, ms. */
  readonly lockTimeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
}

/**
 * One outbox relay per shard, publishing through `app.outboxPublisher` (none: the relay is off,
 * and outbox rows wait for a node that relays them); started once the app is ready and stopped in
 * preClose (so the tick in progress finishes before the pools end in onClose). With lock Redis
 * instances (`app.lockRedis`), a shard's relay runs only on the node holding its Redlock, and the
 * locks are released in preClose, after the relays stopped, so another node takes over at once.
 * Needs the postgres, kafka-publisher and lock-redis plugins.
 */
export const outboxPlugin = fp<OutboxPluginOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'outbox' });
    reportLockPersistence(app.lockRedis, options.registry);
    const publisher = app.outboxPublisher;
    if (publisher === undefined) {
      log.info('no KAFKA_BROKERS: outbox relay disabled');
      return;
    }
    const metrics = createOutboxMetrics(options.registry);
    const lockClients = app.lockRedis;
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

    let listeners: ShardListener[] = [];
    app.addHook('onReady', async () => {
      locks?.start();
      for (const relay of relays) relay.start();
      if (options.notify)
        listeners = relays.map((relay, shard) => app.shards.listen(shard, CHANNEL, () => relay.wake()));
      log.info(
        { shards: relays.length, topic: options.topic, locked: locks !== undefined, notify: options.notify },
        'outbox relays started',
      );
    });
    const stop = async (): Promise<void> => {
      await Promise.all(listeners.splice(0).map((listener) => listener.close()));
      await Promise.all(relays.map((relay) => relay.stop()));
      await locks?.stop();
    };
    app.addHook('preClose', stop);
    // Again in onClose (an app closed before it was ready skips preClose); the clients close after.
    app.addHook('onClose', stop);
  },
  { name: 'outbox', dependencies: ['postgres', 'kafka-publisher', 'lock-redis'] },
);
