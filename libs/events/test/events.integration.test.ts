import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '@sdl/logging';
import { startMockKafka, type MockKafka } from '@sdl/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventConsumer, createEventProducer, type EventConsumer, type IncomingEvent } from '../src/index.js';

const run = promisify(execFile);
const logger = createLogger({ name: 'events-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const consumeBin = fileURLToPath(new URL('../dist/bin/consume.js', import.meta.url));

// The producer, the consumer group and the consume CLI against librdkafka's mock cluster (what the
// offline compose Kafka is), with kafkajs as the services use it.
describe('@sdl/events against a Kafka broker (librdkafka mock cluster)', () => {
  let kafka: MockKafka;
  const consumers: EventConsumer[] = [];
  const connection = () => ({ brokers: [kafka.brokers], clientId: 'events-test', logger });

  beforeAll(async () => {
    kafka = await startMockKafka();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  /** Produces one event so that the topic exists before anyone subscribes to it. */
  const ensureTopic = async (topic: string) => {
    const producer = await createEventProducer(connection());
    await producer.send(topic, [{ key: 'setup', value: 'topic-created' }]);
    await producer.close();
  };

  /** A consumer-group member collecting what it receives. */
  const consume = async (groupId: string, topic: string, fromBeginning?: boolean) => {
    const received: IncomingEvent[] = [];
    const consumer = await createEventConsumer({
      ...connection(),
      groupId,
      topics: [topic],
      sessionTimeoutMs: 6000,
      ...(fromBeginning === undefined ? {} : { fromBeginning }),
      onEvent: async (event) => void received.push(event),
    });
    consumers.push(consumer);
    return { consumer, received };
  };

  /** Sends one event per value, keyed `key`, until `received` holds `count` (a group's first join takes seconds). */
  const sendUntil = async (topic: string, received: IncomingEvent[], count: number, key = 'k') => {
    const producer = await createEventProducer(connection());
    try {
      await vi.waitFor(
        async () => {
          if (received.length < count) await producer.send(topic, [{ key, value: `probe-${Date.now()}` }]);
          expect(received.length).toBeGreaterThanOrEqual(count);
        },
        { timeout: 30_000, interval: 500 },
      );
    } finally {
      await producer.close();
    }
  };

  it('delivers key, value and headers as sent, one key always on one partition', async () => {
    const topic = 'events.roundtrip';
    await ensureTopic(topic);
    const { received } = await consume('roundtrip', topic, true);
    await sendUntil(topic, received, 1, 'warm-up');
    const producer = await createEventProducer(connection());
    try {
      await producer.send(topic, [
        { key: 'acc_1', value: '{"n":1}', headers: { 'event-id': 'e1', 'event-type': 'account.created' } },
        { key: 'acc_2', value: '{"n":2}', headers: { 'event-id': 'e2' } },
        { key: 'acc_1', value: '{"n":3}', headers: { 'event-id': 'e3' } },
      ]);
    } finally {
      await producer.close();
    }
    await vi.waitFor(() => expect(received.filter((e) => e.key?.startsWith('acc_'))).toHaveLength(3), {
      timeout: 30_000,
    });
    const mine = received.filter((e) => e.key?.startsWith('acc_'));
    expect(mine.map(({ topic: t, key, value, headers }) => ({ t, key, value, headers }))).toEqual(
      expect.arrayContaining([
        { t: topic, key: 'acc_1', value: '{"n":1}', headers: { 'event-id': 'e1', 'event-type': 'account.created' } },
        { t: topic, key: 'acc_2', value: '{"n":2}', headers: { 'event-id': 'e2' } },
        { t: topic, key: 'acc_1', value: '{"n":3}', headers: { 'event-id': 'e3' } },
      ]),
    );
    // One aggregate's events stay in order: same key, same partition, increasing offsets.
    const acc1 = mine.filter((e) => e.key === 'acc_1');
    expect(acc1[0]!.partition).toBe(acc1[1]!.partition);
    expect(BigInt(acc1[0]!.offset) < BigInt(acc1[1]!.offset)).toBe(true);
    expect(acc1.map((e) => e.value)).toEqual(['{"n":1}', '{"n":3}']);
  });

  it('commits what a member handled: the next member of the group resumes after it', async () => {
    const topic = 'events.commit';
    await ensureTopic(topic);
    const first = await consume('commit', topic);
    await sendUntil(topic, first.received, 2);
    const handled = new Set(first.received.map((e) => `${e.partition}:${e.offset}`));
    await first.consumer.close();
    consumers.splice(consumers.indexOf(first.consumer), 1);

    const producer = await createEventProducer(connection());
    await producer.send(topic, [{ key: 'k', value: 'after-close' }]);
    await producer.close();
    // fromBeginning applies only to a group without committed offsets: had nothing been
    // committed, this member would start over at the earliest offset and get it all again.
    const second = await consume('commit', topic, true);
    await vi.waitFor(() => expect(second.received.map((e) => e.value)).toContain('after-close'), { timeout: 30_000 });
    // Nothing the first member finished is delivered again.
    for (const e of second.received) expect(handled.has(`${e.partition}:${e.offset}`)).toBe(false);
  });

  it('starts a new group at the earliest offset only when asked to (fromBeginning)', async () => {
    const topic = 'events.start';
    await ensureTopic(topic);
    const producer = await createEventProducer(connection());
    await producer.send(topic, [{ key: 'k', value: 'before-anyone' }]);
    await producer.close();
    const earliest = await consume('start-earliest', topic, true);
    await vi.waitFor(() => expect(earliest.received.map((e) => e.value)).toContain('before-anyone'), {
      timeout: 30_000,
    });
    const latest = await consume('start-latest', topic);
    await sendUntil(topic, latest.received, 1);
    expect(latest.received.map((e) => e.value)).not.toContain('before-anyone');
  });

  it('consume CLI: prints the first event matching --match, and exits 1 when none comes in time', async () => {
    const topic = 'events.cli';
    const producer = await createEventProducer(connection());
    await producer.send(topic, [
      { key: 'acc_x', value: '{"id":"other"}' },
      { key: 'acc_y', value: '{"id":"wanted-42"}' },
    ]);
    await producer.close();
    const args = ['--brokers', kafka.brokers, '--topic', topic];
    const { stdout } = await run(process.execPath, [
      consumeBin,
      ...args,
      '--match',
      'wanted-42',
      '--timeout-ms',
      '30000',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ topic, key: 'acc_y', value: '{"id":"wanted-42"}' });
    const missing = await run(process.execPath, [
      consumeBin,
      ...args,
      '--match',
      'never-sent',
      '--timeout-ms',
      '8000',
    ]).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    expect(missing).toBe(1);
  });
});
