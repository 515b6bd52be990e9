import { createEventProducer, type Acks, type EventProducer, type OutgoingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';

/** Where the outbox relay sends events; Kafka in production, any stand-in in unit tests. */
export interface EventPublisher {
  /** Resolves once connected; rejects when the broker cannot be reached yet (retry later). */
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every event (as KAFKA_ACKS asks). */
  publish(topic: string, events: readonly OutgoingEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaPublisherOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** KAFKA_ACKS (default all). */
  readonly acks?: Acks;
  /** KAFKA_IDEMPOTENT (default false); a broker that refuses it is logged at error level, not fatal. */
  readonly idempotent?: boolean;
}

/**
 * A Kafka publisher that connects on first use and again after a failed attempt, so the node
 * starts (and serves) while Kafka is still coming up; the outbox simply fills until it connects.
 */
export class KafkaPublisher implements EventPublisher {
  readonly #options: KafkaPublisherOptions;
  #producer: Promise<EventProducer> | undefined;
  #ready: EventProducer | undefined;
  #closed = false;

  constructor(options: KafkaPublisherOptions) {
    this.#options = options;
  }

  async connect(): Promise<void> {
    await this.#connected();
  }

  async publish(topic: string, events: readonly OutgoingEvent[]): Promise<void> {
    const producer = await this.#connected();
    await producer.send(topic, events);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#producer;
    this.#producer = undefined;
    if (pending === undefined) return;
    if (this.#ready !== undefined) {
      await this.#ready.close();
      return;
    }
    // Still connecting (kafkajs retries for seconds while the broker is down): do not hold the
    // shutdown for it; disconnect whatever it yields.
    void pending.then((producer) => producer.close()).catch(() => undefined);
  }

  #connected(): Promise<EventProducer> {
    if (this.#closed) return Promise.reject(new Error('publisher is closed'));
    this.#producer ??= createEventProducer(this.#options).then(
      (producer) => {
        this.#ready = producer;
        return producer;
      },
      (err: unknown) => {
        this.#producer = undefined;
        throw err;
      },
    );
    return this.#producer;
  }
}

export function createKafkaPublisher(options: KafkaPublisherOptions): KafkaPublisher {
  return new KafkaPublisher(options);
}
