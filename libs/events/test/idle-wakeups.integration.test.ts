import { createRequire } from 'node:module';
import { createLogger } from '@sdl/logging';
import { Registry } from '@sdl/metrics';
import { startMockKafka, type MockKafka } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventConsumer, createEventProducer } from '../src/index.js';

const logger = createLogger({ name: 'idle-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// kafkajs 2.2.4 checked its request queue on a timer whether or not anything was pending, with a
// negative delay: every broker connection of an idle member ran a 1 ms timer loop (kafkajs#1556;
// about half of an idle api node's CPU in the compose cluster). patches/kafkajs@2.2.4.patch checks
// only while requests wait; responses and pushes still check (issue 12).
const require = createRequire(import.meta.url);
const kafkajsMain = require.resolve('kafkajs');
const RequestQueue = require(kafkajsMain.replace(/index\.js$/, 'src/network/requestQueue/index.js')) as {
  prototype: { checkPendingRequests(): void };
};

describe('an idle consumer group member (kafkajs request queue)', () => {
  let kafka: MockKafka;
  const connection = () => ({ brokers: [kafka.brokers], clientId: 'idle-test', logger });

  beforeAll(async () => {
    kafka = await startMockKafka();
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it('wakes for its heartbeats and fetches, not in a timer loop, and still delivers', async () => {
    const topic = 'events.idle';
    const seen: string[] = [];
    const producer = await createEventProducer(connection());
    await producer.send(topic, [{ key: 'k', value: 'before' }]); // the topic exists before the group joins
    const consumer = await createEventConsumer({
      ...connection(),
      groupId: 'idle',
      topics: [topic],
      sessionTimeoutMs: 6000,
      registry: new Registry(),
      onEvent: async (event) => void seen.push(event.value),
    });
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    try {
      // Joined and assigned: the member now only heartbeats (1 s) and long-polls its fetches.
      await vi.waitFor(() => expect(Object.keys(consumer.assignment())).toContain(topic), { timeout: 30_000 });
      RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
        checks++;
        original.call(this);
      };
      await new Promise((resolve) => setTimeout(resolve, 2000));
      RequestQueue.prototype.checkPendingRequests = original;
      // Unpatched: one check per millisecond per connection (thousands in 2 s); patched: one per
      // response (a few heartbeats and fetches). The bound leaves a wide margin either way.
      expect(checks).toBeLessThan(200);

      // Requests still flow once idle: a message sent now arrives.
      await producer.send(topic, [{ key: 'k', value: 'after-idle' }]);
      await vi.waitFor(() => expect(seen).toContain('after-idle'), { timeout: 30_000 });
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await consumer.close();
      await producer.close();
    }
  });
});
