import type { Consumer } from 'kafkajs';
import { createKafka, type KafkaConnection } from './kafka.js';

export interface IncomingEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ConsumerOptions extends KafkaConnection {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Start from the earliest offset when the group has none (default false). */
  readonly fromBeginning?: boolean;
  /** Must be >= 3000 ms against librdkafka's mock cluster (default 10000). */
  readonly sessionTimeoutMs?: number;
  /** Called once per message, in partition order; the offset commits after it resolves. */
  readonly onEvent: (event: IncomingEvent) => Promise<void>;
}

export interface EventConsumer {
  close(): Promise<void>;
}

/** A consumer-group member that hands each message to `onEvent` (at least once). */
export async function createEventConsumer(options: ConsumerOptions): Promise<EventConsumer> {
  const consumer: Consumer = createKafka(options).consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: 1000,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v.toString();
      }
      await options.onEvent({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        value: message.value?.toString() ?? '',
        headers,
      });
    },
  });
  return {
    async close() {
      await consumer.disconnect();
    },
  };
}
