import { setTimeout as sleep } from 'node:timers/promises';
import { createEventConsumer, type IncomingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createCacheInvalidationHandler, type InvalidatedCaches } from '../cache-invalidation.js';

/** Starts delivering events to `onEvent`; rejects when the source cannot be reached (retried). */
export type EventSubscriber = (onEvent: (event: IncomingEvent) => Promise<void>) => Promise<{ close(): Promise<void> }>;

/**
 * A Kafka subscriber in a consumer group of its own (`api-l1-<nodeId>`): every node must see
 * every event, so nodes must not share a group. From the latest offset: an L1 starts empty, so
 * older events have nothing to invalidate.
 */
function kafkaSubscriber(options: CacheInvalidationOptions): EventSubscriber {
  return async (onEvent) =>
    createEventConsumer({
      brokers: options.brokers,
      clientId: `api-l1-${options.nodeId}`,
      groupId: `api-l1-${options.nodeId}`,
      topics: options.topics,
      fromBeginning: false,
      logger: options.logger,
      onEvent,
    });
}

export interface CacheInvalidationOptions {
  /** Empty (and no `subscribe`): no invalidation events; the L1 TTL alone bounds staleness. */
  readonly brokers: readonly string[];
  /** A stand-in event source (tests); default: Kafka at `brokers`. */
  readonly subscribe?: EventSubscriber;
  readonly nodeId: string;
  /** The account and post event topics. */
  readonly topics: readonly string[];
  readonly caches: InvalidatedCaches;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Backoff between subscribe attempts while the source is unreachable (default 1000 ms, doubling to 10 s). */
  readonly retryMs?: number;
}

/**
 * Invalidates this node's L1 from the outbox events of every node. Subscribes once the app is
 * ready, in the background and again after a failure, so a Kafka outage never delays start-up:
 * while it lasts the L1 TTL alone bounds staleness. Closed in onClose.
 */
export const cacheInvalidationPlugin = fp<CacheInvalidationOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'cache-invalidation' });
    if (options.subscribe === undefined && options.brokers.length === 0) {
      log.info('no KAFKA_BROKERS: L1 entries expire after their TTL only');
      return;
    }
    const subscribe = options.subscribe ?? kafkaSubscriber(options);
    const events = new Counter({
      name: 'api_cache_l1_events_total',
      help: 'Outbox events received for L1 invalidation (result: applied, skipped = unreadable)',
      labelNames: ['result'] as const,
      registers: [options.registry],
    });
    const onEvent = createCacheInvalidationHandler(options.caches, options.logger, events);
    const stop = new AbortController();
    let source: { close(): Promise<void> } | undefined;
    let running: Promise<void> | undefined;

    const subscribeUntilDone = async (): Promise<void> => {
      let delay = options.retryMs ?? 1000;
      while (!stop.signal.aborted) {
        try {
          source = await subscribe(onEvent);
          log.info('L1 invalidation subscribed');
          return;
        } catch (err) {
          log.warn({ err, retryInMs: delay }, 'L1 invalidation cannot subscribe; L1 TTL bounds staleness meanwhile');
        }
        await sleep(delay, undefined, { signal: stop.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, 10_000);
      }
    };

    app.addHook('onReady', async () => {
      running = subscribeUntilDone();
    });
    app.addHook('onClose', async () => {
      stop.abort();
      await running;
      await source?.close().catch((err: unknown) => log.warn({ err }, 'closing the L1 invalidation source failed'));
    });
  },
  { name: 'cache-invalidation' },
);
