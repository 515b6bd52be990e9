import { createLogger } from '@sdl/logging';
import { startMockKafka, type MockKafka } from '@sdl/testing';
import { KafkaJSNonRetriableError } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventConsumer, createEventProducer, ensureTopics, type Assignment } from '../src/index.js';

const logger = createLogger({ name: 'consumer-restart-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// kafkajs leaves a member stopped for good after a non-retriable error (the mock answers some
// SyncGroups of a rebalance with one); @sdl/events starts it again, so a node never silently stops
// consuming. Forced here with a handler that throws one non-retriable error.
describe('a consumer stopped by a non-retriable error (librdkafka mock)', () => {
  let kafka: MockKafka;
  const connection = () => ({ brokers: [kafka.brokers], clientId: 'restart-test', logger });

  beforeAll(async () => {
    kafka = await startMockKafka();
    await ensureTopics(connection(), [{ name: 'test.restart', partitions: 4 }]);
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it('is started again, rejoins its group and gets the message again', async () => {
    const seen: string[] = [];
    const joins: Assignment[] = [];
    let failed = false;
    const consumer = await createEventConsumer({
      ...connection(),
      groupId: 'restart',
      topics: ['test.restart'],
      fromBeginning: true,
      sessionTimeoutMs: 6000,
      onAssignment: (a) => joins.push(a),
      onEvent: async (event) => {
        if (!failed) {
          failed = true;
          throw new KafkaJSNonRetriableError('handler failed for good');
        }
        seen.push(event.value);
      },
    });
    try {
      const producer = await createEventProducer(connection());
      await producer.send('test.restart', [{ key: 'k', value: 'once' }]);
      await producer.close();
      await vi.waitFor(() => expect(seen).toEqual(['once']), { timeout: 40_000, interval: 200 });
      // Joined, stopped (empty assignment), joined again.
      expect(joins.filter((a) => Object.keys(a).length > 0).length).toBeGreaterThanOrEqual(2);
      expect(consumer.assignment()).toEqual({ 'test.restart': [0, 1, 2, 3] });
    } finally {
      await consumer.close();
    }
  }, 60_000);
});
