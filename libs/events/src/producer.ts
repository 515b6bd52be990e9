import type { Producer } from 'kafkajs';
import { createKafka, type KafkaConnection } from './kafka.js';

export interface OutgoingEvent {
  /** Partitioning key: the aggregate id, so one aggregate's events stay in order. */
  readonly key: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Which acknowledgement a send waits for: `0` none (not even the leader's answer: a lost message
 * goes unnoticed), `1` the partition leader's (lost if the leader dies before a follower copies
 * it), `all` every in-sync replica's.
 */
export type Acks = 0 | 1 | 'all';

export interface EventProducer {
  readonly acks: Acks;
  /** Whether the broker accepted the idempotent producer (false when it was refused: see `idempotent`). */
  readonly idempotent: boolean;
  /** Resolves once the broker acknowledged every message as `acks` asks. */
  send(topic: string, events: readonly OutgoingEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface ProducerOptions extends KafkaConnection {
  /** Default `all`. */
  readonly acks?: Acks;
  /**
   * Idempotent producer (default false; needs acks `all`): the broker drops a retried batch it has
   * already written (producer id + sequence numbers). When the broker refuses it (librdkafka
   * 2.0.2's mock cluster does), the producer says so at error level and sends without it.
   */
  readonly idempotent?: boolean;
}

/** An idempotent producer with acks other than `all` (kafkajs refuses to send with it). */
export class IdempotenceConfigError extends Error {
  readonly code = 'EVENTS_ERR_IDEMPOTENT_NEEDS_ACKS_ALL';
  constructor(acks: Acks) {
    super(`the idempotent producer needs acks 'all', not ${acks}`);
    this.name = 'IdempotenceConfigError';
  }
}

const ackCount = { 0: 0, 1: 1, all: -1 } as const;

/** A connected producer; kafkajs stays behind this interface so it can be replaced. */
export async function createEventProducer(options: ProducerOptions): Promise<EventProducer> {
  const acks = options.acks ?? 'all';
  if (options.idempotent === true && acks !== 'all') throw new IdempotenceConfigError(acks);
  const kafka = createKafka(options);
  let producer: Producer | undefined;
  let idempotent = false;
  if (options.idempotent === true) {
    const candidate = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    try {
      await candidate.connect();
      producer = candidate;
      idempotent = true;
    } catch (err) {
      await candidate.disconnect().catch(() => undefined);
      // Refused, or the broker is down? A plain producer tells: it connects only in the first case.
      const plain = kafka.producer({ allowAutoTopicCreation: true });
      await plain.connect();
      options.logger.error(
        { err, code: 'EVENTS_ERR_IDEMPOTENCE_REFUSED' },
        'the broker refused the idempotent producer (librdkafka 2.0.2 mock cluster: no InitProducerId); ' +
          'sending WITHOUT idempotence, so a retried send may be written twice (consumers de-duplicate by event id)',
      );
      producer = plain;
    }
  } else {
    producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
  }
  const connected = producer;
  return {
    acks,
    idempotent,
    async send(topic, events) {
      await connected.send({
        topic,
        acks: ackCount[acks],
        messages: events.map((e) => ({ key: e.key, value: e.value, headers: { ...e.headers } })),
      });
    },
    async close() {
      await connected.disconnect();
    },
  };
}
