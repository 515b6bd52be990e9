import type { OutgoingEvent } from '@sdl/events';
import type { EventPublisher } from '../../src/outbox/kafka-publisher.js';

/** An in-process stand-in for the EventPublisher interface: records what it is asked to publish. */
export class FakePublisher implements EventPublisher {
  readonly sent: (OutgoingEvent & { topic: string })[] = [];
  /** While true, every publish fails like an unreachable broker. */
  failing = false;
  async connect(): Promise<void> {}

  async publish(topic: string, events: readonly OutgoingEvent[]): Promise<void> {
    if (this.failing) throw new Error('broker unavailable (fake)');
    this.sent.push(...events.map((e) => ({ ...e, topic })));
  }

  async close(): Promise<void> {}
}
