import type { IncomingEvent, OutgoingEvent } from '@sdl/events';
import type { EventPublisher } from '../../src/outbox/kafka-publisher.js';
import type { EventSubscriber } from '../../src/cache/l1-invalidation.js';

/**
 * An in-process stand-in for Kafka between api nodes under test: the nodes' outbox relays publish
 * into it and every subscriber (each node's own consumer group) receives every event. While
 * `paused`, events queue as if the broker were slow; `resume()` delivers them.
 */
export class EventBus implements EventPublisher {
  paused = false;
  readonly #handlers = new Set<(event: IncomingEvent) => Promise<void>>();
  readonly #queued: IncomingEvent[] = [];
  #offset = 0;

  readonly subscriber: EventSubscriber = async (onEvent) => {
    this.#handlers.add(onEvent);
    return { close: async () => void this.#handlers.delete(onEvent) };
  };

  get subscribers(): number {
    return this.#handlers.size;
  }

  async connect(): Promise<void> {}

  async publish(topic: string, events: readonly OutgoingEvent[]): Promise<void> {
    for (const e of events) {
      this.#queued.push({
        topic,
        partition: 0,
        offset: String(this.#offset++),
        key: e.key,
        value: e.value,
        headers: e.headers ?? {},
      });
    }
    if (!this.paused) await this.#deliver();
  }

  async resume(): Promise<void> {
    this.paused = false;
    await this.#deliver();
  }

  async close(): Promise<void> {}

  async #deliver(): Promise<void> {
    for (let event = this.#queued.shift(); event !== undefined; event = this.#queued.shift()) {
      for (const handler of this.#handlers) await handler(event);
    }
  }
}
