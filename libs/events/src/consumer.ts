import type { Consumer, ConsumerRunConfig, KafkaMessage } from 'kafkajs';
import type { Registry } from '@sdl/metrics';
import { createLagReporter } from './consumer-lag.js';
import { parseEnvelope } from './envelope.js';
import { createKafka, type KafkaConnection } from './kafka.js';
import type { ProcessedEvents, SqlClient } from './processed-events.js';

export interface IncomingEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * When a message's offset commits, relative to its effect:
 * - `at-most-once`: commit, then process: a crash between the two loses the message;
 * - `at-least-once`: process, then commit: a crash between the two processes it again;
 * - `effectively-once`: process and record its event id in one database transaction, then commit:
 *   a redelivery finds the id and does nothing (needs `processed`).
 */
export type Delivery = 'at-most-once' | 'at-least-once' | 'effectively-once';

/** Partitions held by one member, per topic. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

export interface ConsumerOptions extends KafkaConnection {
  /** Members sharing a group split the partitions (work sharing); separate groups each see all (broadcast). */
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Start from the earliest offset when the group has none (default false). */
  readonly fromBeginning?: boolean;
  /** Must be >= 3000 ms against librdkafka's mock cluster (default 10000). */
  readonly sessionTimeoutMs?: number;
  /** Commit order (default `at-least-once`). */
  readonly delivery?: Delivery;
  /** Where `effectively-once` records event ids, in the effect's transaction (required for that mode). */
  readonly processed?: ProcessedEvents;
  /**
   * Called once per message, in partition order. Under `effectively-once` it gets the transaction's
   * client: do the effect on it. A rejection leaves the offset uncommitted; kafkajs retries.
   */
  readonly onEvent: (event: IncomingEvent, client?: SqlClient) => Promise<void>;
  /** After every group join (a rebalance included) and when the member stops: its partitions now. */
  readonly onAssignment?: (assignment: Assignment) => void;
  /**
   * Fault injection (tests, bench/kafka/delivery.ts): asked between a message's two steps (after
   * the commit under at-most-once, after the effect otherwise). True kills the member there, as a
   * crash would: nothing more is processed or committed, it leaves the group, `crashed` resolves.
   */
  readonly crashPoint?: (event: IncomingEvent) => boolean;
  /** Where `events_consumer_lag{group,topic,partition}` goes (the service's registry); none without. */
  readonly registry?: Registry;
}

export interface EventConsumer {
  readonly delivery: Delivery;
  /** The partitions this member holds now (empty before its first join and once stopped). */
  assignment(): Assignment;
  /** Resolves once `crashPoint` has killed the member and it has left the group. */
  readonly crashed: Promise<void>;
  close(): Promise<void>;
}

class SimulatedCrash extends Error {
  readonly code = 'EVENTS_ERR_SIMULATED_CRASH';
}

function toEvent(topic: string, partition: number, message: KafkaMessage): IncomingEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v.toString();
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString(),
    value: message.value?.toString() ?? '',
    headers,
  };
}

/** The id a redelivery is recognised by: the `event-id` header, the envelope's, else the position. */
export function eventIdOf(event: IncomingEvent): string {
  return (
    event.headers['event-id'] ??
    parseEnvelope(event.value)?.eventId ??
    `${event.topic}:${event.partition}:${event.offset}`
  );
}

/** A consumer-group member that hands each message to `onEvent`, committing in the `delivery` order. */
export async function createEventConsumer(options: ConsumerOptions): Promise<EventConsumer> {
  const delivery = options.delivery ?? 'at-least-once';
  const processed = options.processed;
  if (delivery === 'effectively-once' && processed === undefined) {
    throw Object.assign(new TypeError('delivery effectively-once needs `processed` (createProcessedEvents)'), {
      code: 'EVENTS_ERR_NO_PROCESSED_EVENTS',
    });
  }
  const consumer: Consumer = createKafka(options).consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: 1000,
  });
  let assignment: Assignment = {};
  const lag = createLagReporter(options.registry, options.groupId);
  const assigned = (next: Assignment) => {
    assignment = next;
    lag.assigned(next);
    options.onAssignment?.(next);
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => assigned(payload.memberAssignment));
  consumer.on(consumer.events.STOP, () => assigned({}));
  let dead = false;
  let closing = false;
  // kafkajs restarts a member after a retriable error only; after any other it stays stopped for
  // good (the mock answers some SyncGroups of a rebalance with INVALID_REQUEST): start it again.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    assigned({});
    if (payload.restart || dead || closing) return;
    options.logger.error({ err: payload.error, groupId: options.groupId }, 'consumer stopped by an error; restarting');
    setTimeout(() => {
      if (!closing) void consumer.run(run).catch((err: unknown) => options.logger.error({ err }, 'restart failed'));
    }, 1000).unref();
  });
  let crashed: () => void = () => undefined;
  const crashedPromise = new Promise<void>((resolve) => (crashed = resolve));

  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
  const run: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const { topic, partition, highWatermark } = batch;
      const first = batch.messages[0];
      if (first !== undefined) lag.report(topic, partition, first.offset, highWatermark);
      for (const message of batch.messages) {
        if (dead) throw new SimulatedCrash('this member crashed');
        if (!isRunning() || isStale()) return;
        const event = toEvent(topic, partition, message);
        // The next offset to read is the committed one: kafkajs resumes from the resolved offset
        // after an error, so it resolves exactly when it commits.
        const commit = async () => {
          if (dead) throw new SimulatedCrash('this member crashed');
          const next = (BigInt(message.offset) + 1n).toString();
          await consumer.commitOffsets([{ topic, partition, offset: next }]);
          resolveOffset(message.offset);
          lag.report(topic, partition, next, highWatermark);
        };
        const crashHere = () => {
          if (options.crashPoint?.(event) !== true) return;
          dead = true;
          // Leaving needs this batch to end: disconnect in the background, after the throw.
          setImmediate(
            () =>
              void consumer
                .disconnect()
                .catch((err: unknown) => options.logger.warn({ err }, 'leaving after the simulated crash failed'))
                .finally(crashed),
          );
          throw new SimulatedCrash(`simulated crash at ${topic}/${partition}@${message.offset}`);
        };
        if (delivery === 'at-most-once') {
          await commit();
          crashHere();
          await options.onEvent(event);
        } else {
          if (delivery === 'effectively-once') {
            const key = { group: options.groupId, eventId: eventIdOf(event), topic, partition, offset: message.offset };
            await processed!.applyOnce(key, (client) => options.onEvent(event, client));
          } else {
            await options.onEvent(event);
          }
          crashHere();
          await commit();
        }
        await heartbeat();
      }
    },
  };
  await consumer.run(run);
  return {
    delivery,
    assignment: () => assignment,
    crashed: crashedPromise,
    async close() {
      closing = true;
      await consumer.disconnect();
    },
  };
}
