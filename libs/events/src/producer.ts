import type { Producer } from 'kafkajs';
import { createKafka, type KafkaConnection } from './kafka.js';

export interface OutgoingEvent {
  /** Partitioning key: the aggregate id, so one aggregate's events stay in order. */
  readonly key: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EventProducer {
  /** Resolves once every message is acknowledged by the broker (acks = all). */
  send(topic: string, events: readonly OutgoingEvent[]): Promise<void>;
  close(): Promise<void>;
}

export type ProducerOptions = KafkaConnection;

/** A connected producer; kafkajs stays behind this interface so it can be replaced. */
export async function createEventProducer(options: ProducerOptions): Promise<EventProducer> {
  const producer: Producer = createKafka(options).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  return {
    async send(topic, events) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.map((e) => ({ key: e.key, value: e.value, headers: { ...e.headers } })),
      });
    },
    async close() {
      await producer.disconnect();
    },
  };
}
