import { withTransaction } from '@sdl/db';
import { createCrashRoundTables, runCrashRound, type CrashRoundResult, type Delivery } from '@sdl/events';
import { createLogger } from '@sdl/logging';
import { startMockKafka, startPostgres, type MockKafka, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const logger = createLogger({ name: 'delivery-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// Kafka delivery semantics, both sides of each trade-off (issue 14): 40 events on 4 partitions;
// a member applies them (an effect row each) and dies between the two steps of its 10th message
// (deterministic: counted by the consumer itself), without committing anything more; a second
// member of the same group resumes from the committed offsets to the end of the topic.
describe('delivery semantics under a consumer crash (librdkafka mock + Postgres)', () => {
  let kafka: MockKafka;
  let postgres: Started;
  let pool: pg.Pool;

  beforeAll(async () => {
    [kafka, postgres] = await Promise.all([startMockKafka(), startPostgres()]);
    pool = new pg.Pool({ connectionString: postgres.url, max: 6 });
    await createCrashRoundTables(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await Promise.all([kafka?.stop(), postgres?.stop()]);
  });

  // The three rounds run at once (own topic, own group): most of a round is waiting for joins.
  const rounds = new Map<Delivery, Promise<CrashRoundResult>>();
  const round = (delivery: Delivery): Promise<CrashRoundResult> => {
    if (rounds.size === 0) {
      for (const mode of ['at-most-once', 'at-least-once', 'effectively-once'] as const) {
        const name = mode.replaceAll('-', '_');
        const running = runCrashRound({
          connection: { brokers: [kafka.brokers], clientId: `delivery-${name}`, logger },
          topic: `test.delivery.${name}`,
          group: `delivery-${name}`,
          delivery: mode,
          events: 40,
          crashAt: 10,
          db: pool,
          transaction: (fn) => withTransaction(pool, fn),
        });
        running.catch(() => undefined); // awaited by its own test
        rounds.set(mode, running);
      }
    }
    return rounds.get(delivery)!;
  };

  it('at-most-once (commit, then process) loses the message in hand and duplicates none', async () => {
    const result = await round('at-most-once');
    expect(result.lost).toBeGreaterThanOrEqual(1);
    expect(result.duplicated).toBe(0);
  });

  it('at-least-once (process, then commit) loses none and applies the message in hand twice', async () => {
    const result = await round('at-least-once');
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBeGreaterThanOrEqual(1);
  });

  it('effectively-once (effect + event id in one transaction, then commit) neither loses nor duplicates', async () => {
    const result = await round('effectively-once');
    expect(result).toMatchObject({ lost: 0, duplicated: 0, effects: 40 });
    // The redelivered message was recognised: its id had been recorded with its effect.
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM consumer_processed_events WHERE consumer_group = 'delivery-effectively_once'",
    );
    expect(rows[0]!.n).toBe(40);
  });
});
