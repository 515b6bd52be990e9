import { parseEnvelope, type IncomingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Account } from '../domain/accounts/account.js';
import { postCacheId, type Post } from '../domain/posts/post.js';
import type { EntityCache } from './entity-cache.js';
import { kafkaSubscriber, subscribeInBackground, type EventSubscriber } from '../outbox/event-subscription.js';

export type { EventSubscriber } from '../outbox/event-subscription.js';

// L1 invalidation: every node keeps an optional in-process L1 in front of Redis; the outbox events
// of every node (through Kafka) evict its stale entries. The handler first, then its plugin.

/** The caches whose L1 entries the outbox events of other nodes invalidate. */
export interface InvalidatedCaches {
  readonly account: EntityCache<Account>;
  readonly post: EntityCache<Post>;
}

/**
 * The handler of `accounts.events` / `posts.events` for the L1: every account or post event
 * drops that entity's L1 entry on this node (Redis was already updated by the writing node).
 * It never throws: an unreadable event is skipped, since a retry could not make it readable
 * and the L1 TTL bounds what a lost invalidation costs.
 */
export function createCacheInvalidationHandler(
  caches: InvalidatedCaches,
  logger: Logger,
  /** Counts events by result (applied, skipped): shows the consumer is alive. */
  events?: Counter<'result'>,
): (event: IncomingEvent) => Promise<void> {
  const log = logger.child({ component: 'cache-invalidation' });
  return async (event) => {
    const change = parseEnvelope(event.value);
    events?.inc({ result: change === undefined ? 'skipped' : 'applied' });
    if (change === undefined) {
      log.debug({ topic: event.topic, offset: event.offset }, 'unreadable event; skipped');
      return;
    }
    if (change.aggregateType === 'account') {
      caches.account.evictLocal(change.aggregateId);
      return;
    }
    if (change.aggregateType === 'post') {
      // Post cache ids are `<accountId>:<postId>`; every post event carries its account id.
      const accountId = (change.data as { accountId?: unknown } | null)?.accountId;
      if (typeof accountId === 'string') caches.post.evictLocal(postCacheId(accountId, change.aggregateId));
    }
  };
}

/**
 * A Kafka subscriber in a consumer group of its own (`api-l1-<nodeId>`): every node must see
 * every event, so nodes must not share a group. From the latest offset: an L1 starts empty, so
 * older events have nothing to invalidate.
 */
function l1Subscriber(options: CacheInvalidationOptions): EventSubscriber {
  return kafkaSubscriber({
    brokers: options.brokers,
    clientId: `api-l1-${options.nodeId}`,
    groupId: `api-l1-${options.nodeId}`,
    topics: options.topics,
    fromBeginning: false,
    logger: options.logger,
    registry: options.registry,
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
  /**
   * No L1 at start (CACHE_L1_ENTRIES=0): subscribe only once `app.l1Invalidation.start()` is called
   * (the run-time settings turn an L1 on), so a node without an L1 runs no consumer for it.
   */
  readonly lazy?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Starts the L1's invalidation consumer if it is not running (idempotent; nothing without Kafka). */
    l1Invalidation: { start(): void };
  }
}

/**
 * Invalidates this node's L1 from the outbox events of every node. Subscribes once the app is
 * ready (lazy: once an L1 is switched on at run time; until its group has joined, about 3 s with
 * the offline broker, an update elsewhere is missed and the L1 TTL bounds it), in the background and again after a failure, so a Kafka outage never delays start-up:
 * while it lasts the L1 TTL alone bounds staleness. Closed in onClose.
 */
export const cacheInvalidationPlugin = fp<CacheInvalidationOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'cache-invalidation' });
    if (options.subscribe === undefined && options.brokers.length === 0) {
      log.info('no KAFKA_BROKERS: L1 entries expire after their TTL only');
      app.decorate('l1Invalidation', { start: () => undefined });
      return;
    }
    const events = new Counter({
      name: 'api_cache_l1_events_total',
      help: 'Outbox events received for L1 invalidation (result: applied, skipped = unreadable)',
      labelNames: ['result'] as const,
      registers: [options.registry],
    });
    const subscription = subscribeInBackground(app, {
      lazy: options.lazy === true,
      subscribe: options.subscribe ?? l1Subscriber(options),
      onEvent: createCacheInvalidationHandler(options.caches, options.logger, events),
      log,
      whileDown: 'L1 invalidation cannot subscribe; L1 TTL bounds staleness meanwhile',
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    });
    app.decorate('l1Invalidation', subscription);
  },
  { name: 'cache-invalidation' },
);
