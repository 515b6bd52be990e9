import { createEventConsumer, eventIdOf, type Delivery, type IncomingEvent } from './consumer.js';
import { createKafka, type KafkaConnection } from './kafka.js';
import {
  createProcessedEvents,
  processedEventsDdl,
  type RunInTransaction,
  type SqlClient,
} from './processed-events.js';
import { createEventProducer } from './producer.js';
import { ensureTopics } from './topics.js';

/** A client that also returns rows (a `pg` pool fits). */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export interface CrashRoundOptions {
  readonly connection: KafkaConnection;
  /** A topic of its own (created here, `partitions` wide) and a consumer group of its own. */
  readonly topic: string;
  readonly partitions?: number;
  readonly group: string;
  readonly delivery: Delivery;
  /** Events produced before the first member starts (default 40). */
  readonly events?: number;
  /** The member dies between the two steps of the crashAt-th message it handles (default 10). */
  readonly crashAt?: number;
  /** Where the effects go (table delivery_effects) and, effectively-once, the processed events. */
  readonly db: SqlQueryable;
  readonly transaction: RunInTransaction;
  /** Bound on waiting for the second member to reach the end of the topic (default 60 s). */
  readonly timeoutMs?: number;
}

export interface CrashRoundResult {
  readonly delivery: Delivery;
  readonly produced: number;
  /** Effect rows written (a duplicate writes a second row). */
  readonly effects: number;
  /** Events without an effect. */
  readonly lost: number;
  /** Effects beyond the first per event. */
  readonly duplicated: number;
}

const EFFECTS_DDL = `CREATE TABLE IF NOT EXISTS delivery_effects (
  consumer_group text NOT NULL, event_id text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

/** Creates the effects table and the processed-events table of the crash rounds (once, before them). */
export async function createCrashRoundTables(db: SqlQueryable): Promise<void> {
  await db.query(EFFECTS_DDL);
  await db.query(processedEventsDdl());
}

/**
 * One crash round of the delivery experiment (the delivery-semantics test and
 * bench/kafka/delivery.ts): produce `events`, let a member apply them (one effect row each, no
 * de-duplication of its own) until it dies between the steps of its crashAt-th message, let a
 * second member of the same group resume from the committed offsets to the end of the topic, then
 * count the events with no effect (lost) and the extra effects (duplicated).
 */
export async function runCrashRound(options: CrashRoundOptions): Promise<CrashRoundResult> {
  const { connection, topic, group, delivery, db } = options;
  const produced = options.events ?? 40;
  const crashAt = options.crashAt ?? 10;
  await ensureTopics(connection, [{ name: topic, partitions: options.partitions ?? 4 }]);
  const producer = await createEventProducer(connection);
  try {
    const messages = Array.from({ length: produced }, (_, i) => ({
      key: `k-${i}`,
      value: JSON.stringify({ n: i }),
      headers: { 'event-id': `${group}:${i}` },
    }));
    await producer.send(topic, messages);
  } finally {
    await producer.close();
  }
  const effect = async (event: IncomingEvent, client?: SqlClient) => {
    await (client ?? db).query('INSERT INTO delivery_effects (consumer_group, event_id) VALUES ($1, $2)', [
      group,
      eventIdOf(event),
    ]);
  };
  const member = (crashPoint?: () => boolean) =>
    createEventConsumer({
      ...connection,
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      sessionTimeoutMs: 6000,
      delivery,
      processed: createProcessedEvents(options.transaction),
      onEvent: effect,
      ...(crashPoint === undefined ? {} : { crashPoint }),
    });
  let handled = 0;
  const first = await member(() => ++handled === crashAt);
  await first.crashed;
  const second = await member();
  try {
    await untilCommittedToEnd(connection, group, topic, options.timeoutMs ?? 60_000);
  } finally {
    await second.close(); // waits for the batch in hand: its effects land before the count
  }
  const { rows } = await db.query(
    'SELECT count(*)::int AS effects, count(DISTINCT event_id)::int AS events FROM delivery_effects WHERE consumer_group = $1',
    [group],
  );
  const counts = rows[0] as { effects: number; events: number };
  return {
    delivery,
    produced,
    effects: counts.effects,
    lost: produced - counts.events,
    duplicated: counts.effects - counts.events,
  };
}

/** Waits until `group` has committed every partition of `topic` up to its end. */
async function untilCommittedToEnd(connection: KafkaConnection, group: string, topic: string, timeoutMs: number) {
  const admin = createKafka(connection).admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      // A partition that got no event has nothing to commit (offset -1, end 0).
      const behind = (committed?.partitions ?? []).filter(
        (p) => ends.get(p.partition) !== '0' && p.offset !== ends.get(p.partition),
      );
      if (committed !== undefined && behind.length === 0) return;
      if (Date.now() > deadline) throw new Error(`group ${group} did not reach the end of ${topic} in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.disconnect();
  }
}
