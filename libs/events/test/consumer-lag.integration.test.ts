import { createLogger } from '@sdl/logging';
import { Registry } from '@sdl/metrics';
import { startMockKafka, type MockKafka } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventConsumer, createEventProducer } from '../src/index.js';

const logger = createLogger({ name: 'lag-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// events_consumer_lag, computed by the member from each fetched batch (the mock cluster, like the
// offline compose Kafka, answers no group-offset listing): a backlog shows, drains to 0, and a
// member that stops reports nothing.
describe('events_consumer_lag{group,topic,partition}', () => {
  let kafka: MockKafka;
  const connection = () => ({ brokers: [kafka.brokers], clientId: 'lag-test', logger });

  beforeAll(async () => {
    kafka = await startMockKafka();
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  const lagSeries = async (registry: Registry) => {
    const metric = registry.getSingleMetric('events_consumer_lag');
    return metric === undefined ? [] : (await metric.get()).values.map((v) => ({ ...v.labels, value: v.value }));
  };

  it('shows the backlog while the member works through it, then 0, and drops the series when it stops', async () => {
    const topic = 'events.lag';
    const producer = await createEventProducer(connection());
    try {
      // One key: one partition, 8 messages waiting before the group first joins.
      await producer.send(
        topic,
        Array.from({ length: 8 }, (_, i) => ({ key: 'acc_1', value: `m${i}` })),
      );
    } finally {
      await producer.close();
    }
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const registry = new Registry();
    const consumer = await createEventConsumer({
      ...connection(),
      groupId: 'lagging',
      topics: [topic],
      fromBeginning: true,
      sessionTimeoutMs: 6000,
      registry,
      onEvent: async (event) => {
        seen.push(event.value);
        await gate; // the first message holds the member: the rest waits
      },
    });
    try {
      await vi.waitFor(async () => expect(await lagSeries(registry)).toHaveLength(1), { timeout: 30_000 });
      const [held] = await lagSeries(registry);
      expect(held).toMatchObject({ group: 'lagging', topic });
      expect(held!.value).toBe(8);
      expect(seen).toEqual(['m0']);
      release();
      await vi.waitFor(async () => expect((await lagSeries(registry))[0]?.value).toBe(0), { timeout: 30_000 });
      expect(seen).toHaveLength(8);
    } finally {
      release();
      await consumer.close();
    }
    expect(await lagSeries(registry)).toEqual([]);
  });
});
