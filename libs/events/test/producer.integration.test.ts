import { Writable } from 'node:stream';
import { createLogger } from '@sdl/logging';
import { startMockKafka, type MockKafka } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventProducer, ensureTopics, IdempotenceConfigError, type Acks } from '../src/index.js';

// The producer's settings against librdkafka's mock cluster: acks 0 | 1 | all, and the idempotent
// producer, which the mock refuses (no InitProducerId): said at error level, not fatal.
describe('producer acks and idempotence (librdkafka mock)', () => {
  let kafka: MockKafka;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    name: 'producer-test',
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });
  const connection = () => ({ brokers: [kafka.brokers], clientId: 'producer-test', logger });

  beforeAll(async () => {
    kafka = await startMockKafka();
    await ensureTopics(connection(), [{ name: 'test.acks', partitions: 4 }]);
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it.each<Acks>([0, 1, 'all'])('sends with acks %s', async (acks) => {
    const producer = await createEventProducer({ ...connection(), acks });
    try {
      expect(producer.acks).toBe(acks);
      await producer.send('test.acks', [{ key: 'k', value: `acks-${acks}` }]);
    } finally {
      await producer.close();
    }
  });

  it('falls back to a plain producer when the broker refuses idempotence, and says so', async () => {
    const producer = await createEventProducer({ ...connection(), idempotent: true });
    try {
      expect(producer.idempotent).toBe(false);
      await producer.send('test.acks', [{ key: 'k', value: 'after-fallback' }]);
    } finally {
      await producer.close();
    }
    const refused = lines.find((l) => l['code'] === 'EVENTS_ERR_IDEMPOTENCE_REFUSED');
    expect(refused).toMatchObject({ level: 50, msg: expect.stringContaining('WITHOUT idempotence') });
  });

  it('refuses idempotence with acks other than all, before connecting', async () => {
    const made = createEventProducer({ ...connection(), idempotent: true, acks: 1 });
    await expect(made).rejects.toBeInstanceOf(IdempotenceConfigError);
    await expect(made).rejects.toMatchObject({ code: 'EVENTS_ERR_IDEMPOTENT_NEEDS_ACKS_ALL' });
  });
});
