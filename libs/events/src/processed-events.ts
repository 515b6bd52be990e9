/** What an effectively-once consumer needs of a database client (a `pg` client fits). */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
}

/** Runs `fn` in one database transaction: commits when it resolves, rolls back when it throws. */
export type RunInTransaction = <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;

/** Which delivery of which event: the key (group, eventId) and where it was read. */
export interface ProcessedKey {
  readonly group: string;
  readonly eventId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** The record of what a consumer group has applied, kept beside the effects. */
export interface ProcessedEvents {
  /**
   * Records `key` and runs `effect` in the same transaction; false (and `effect` not run) when the
   * group applied this event id before, so a redelivery is a no-op.
   */
  applyOnce(key: ProcessedKey, effect: (client: SqlClient) => Promise<void>): Promise<boolean>;
}

/** The default table of createProcessedEvents, one row per (consumer group, event id). */
export const PROCESSED_EVENTS_TABLE = 'consumer_processed_events';

/** The DDL of a processed-events table (idempotent); run it where the effects live. */
export function processedEventsDdl(table = PROCESSED_EVENTS_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
    consumer_group text NOT NULL,
    event_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
  )`;
}

/**
 * Processed events in a Postgres table (`processedEventsDdl`) of the database where the effects
 * are written: the INSERT ... ON CONFLICT DO NOTHING and the effect commit together or not at
 * all. The table grows by one row per event; prune rows older than any possible redelivery.
 */
export function createProcessedEvents(transaction: RunInTransaction, table = PROCESSED_EVENTS_TABLE): ProcessedEvents {
  return {
    applyOnce: (key, effect) =>
      transaction(async (client) => {
        const inserted = await client.query(
          `INSERT INTO ${table} (consumer_group, event_id, topic, partition, "offset")
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [key.group, key.eventId, key.topic, key.partition, key.offset],
        );
        if ((inserted.rowCount ?? 0) === 0) return false;
        await effect(client);
        return true;
      }),
  };
}
