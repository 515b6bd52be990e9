import { createEventConsumer, type Assignment, type Delivery, type IncomingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';
import { Gauge, type Registry } from '@sdl/metrics';
import { retry } from '@sdl/retry';
import type { FastifyInstance } from 'fastify';

/** Starts delivering events to `onEvent`; rejects when the source cannot be reached (retried). */
export type EventSubscriber = (onEvent: (event: IncomingEvent) => Promise<void>) => Promise<{ close(): Promise<void> }>;

export interface KafkaSubscriberOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Nodes sharing a group split the partitions (each event reaches one of them); separate groups each see all. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group without committed offsets starts. */
  readonly fromBeginning: boolean;
  /** Commit order (default at-least-once: offsets commit after `onEvent` resolves). */
  readonly delivery?: Exclude<Delivery, 'effectively-once'>;
  readonly logger: Logger;
  /** Where `api_kafka_assigned_partitions{group,topic}` goes: this member's share of the group. */
  readonly registry?: Registry;
}

const ASSIGNED = 'api_kafka_assigned_partitions';

/** The gauge of partitions this node's member holds, per group and topic (one per registry). */
export function assignedPartitionsGauge(registry: Registry): Gauge<'group' | 'topic'> {
  const existing = registry.getSingleMetric(ASSIGNED) as Gauge<'group' | 'topic'> | undefined;
  return (
    existing ??
    new Gauge({
      name: ASSIGNED,
      help: "Partitions this node's consumer-group member holds (a rebalance moves them; broadcast groups hold all)",
      labelNames: ['group', 'topic'] as const,
      registers: [registry],
    })
  );
}

/** A Kafka consumer-group member as an EventSubscriber (offsets commit after `onEvent` resolves). */
export function kafkaSubscriber(options: KafkaSubscriberOptions): EventSubscriber {
  const gauge = options.registry === undefined ? undefined : assignedPartitionsGauge(options.registry);
  const onAssignment = (assignment: Assignment) => {
    for (const topic of options.topics) {
      gauge?.set({ group: options.groupId, topic }, assignment[topic]?.length ?? 0);
    }
  };
  return async (onEvent) => createEventConsumer({ ...options, onEvent, onAssignment });
}

export interface BackgroundSubscriptionOptions {
  readonly subscribe: EventSubscriber;
  readonly onEvent: (event: IncomingEvent) => Promise<void>;
  /** A child logger of the consumer's component. */
  readonly log: Logger;
  /** What to log while the source is unreachable (what the node does meanwhile). */
  readonly whileDown: string;
  /** Backoff between subscribe attempts (default 1000 ms, doubling to 10 s). */
  readonly retryMs?: number;
  /** Not at ready: only once `start()` of the returned handle is called (a consumer only a run-time setting needs). */
  readonly lazy?: boolean;
}

/**
 * How the api's consumers subscribe: once the app is ready (or, `lazy`, once started after that),
 * in the background and again after a failure (with backoff, until shutdown), so a Kafka outage
 * never delays start-up. Closed in onClose.
 */
export function subscribeInBackground(app: FastifyInstance, options: BackgroundSubscriptionOptions): { start(): void } {
  const { log } = options;
  const stop = new AbortController();
  let source: { close(): Promise<void> } | undefined;
  let running: Promise<void> | undefined;
  let ready = false;
  let wanted = options.lazy !== true;

  const subscribeUntilDone = async (): Promise<void> => {
    source = await retry(() => options.subscribe(options.onEvent), {
      minMs: options.retryMs ?? 1000,
      maxMs: 10_000,
      signal: stop.signal,
      onRetry: (err, _attempt, retryInMs) => log.warn({ err, retryInMs }, options.whileDown),
    }).catch(() => undefined); // only shutdown ends the retries early
    if (source !== undefined) log.info('subscribed');
  };

  // Once, when both the app is ready and the subscription is wanted (at once unless lazy).
  const begin = (): void => {
    if (!ready || !wanted || running !== undefined || stop.signal.aborted) return;
    running = subscribeUntilDone();
  };
  app.addHook('onReady', async () => {
    ready = true;
    begin();
  });
  app.addHook('onClose', async () => {
    stop.abort();
    await running;
    await source?.close().catch((err: unknown) => log.warn({ err }, 'closing the event source failed'));
  });
  return {
    start: () => {
      wanted = true;
      begin();
    },
  };
}
