import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createKafkaPublisher, type EventPublisher } from '../event-publisher.js';
import { createOutboxMetrics, createOutboxRelay, type OutboxRelay } from '../outbox-relay.js';

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
  readonly logger: Logger;
  readonly registry: Registry;
}

/**
 * One outbox relay per shard, started once the app is ready and stopped in preClose (so the
 * tick in progress finishes before the pools end in onClose); the Kafka publisher closes last.
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
    const relays: OutboxRelay[] = Array.from({ length: app.shards.count }, (_, shard) =>
      createOutboxRelay({
        shard,
        shards: app.shards,
        publisher,
        topic: options.topic,
        topics: options.topics ?? {},
        batchSize: options.batchSize,
        pollMs: options.pollMs,
        logger: options.logger,
        metrics,
      }),
    );

    app.addHook('onReady', async () => {
      for (const relay of relays) relay.start();
      log.info({ shards: relays.length, topic: options.topic }, 'outbox relays started');
    });
    app.addHook('preClose', async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
    });
    app.addHook('onClose', async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
      if (owned) await publisher.close();
    });
  },
  { name: 'outbox', dependencies: ['postgres'] },
);
