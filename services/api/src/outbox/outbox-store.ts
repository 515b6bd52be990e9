import { randomUUID } from 'node:crypto';
import type { ShardClient } from '../db/shard-pools.js';

/** A state change to publish, written in the same transaction as the change itself. */
export interface NewOutboxEvent {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly eventType: string;
  readonly payload: unknown;
}

export interface OutboxRow {
  readonly id: string;
  readonly eventId: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly eventType: string;
  readonly payload: unknown;
  readonly createdAt: Date;
}

/** Appends an event; call it on the transaction's client so it commits (or not) with the change. */
export async function appendOutboxEvent(client: ShardClient, event: NewOutboxEvent): Promise<string> {
  const eventId = randomUUID();
  await client.query(
    `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, payload)
     VALUES ($1, $2, $3, $4, $5)`,
    [eventId, event.aggregateType, event.aggregateId, event.eventType, JSON.stringify(event.payload)],
  );
  return eventId;
}

/**
 * Locks the oldest unpublished rows for this transaction. SKIP LOCKED lets two relays on the
 * same shard take disjoint batches instead of waiting for (or double-publishing) each other's.
 */
export async function claimUnpublished(client: ShardClient, limit: number): Promise<OutboxRow[]> {
  const { rows } = await client.query<{
    id: string;
    event_id: string;
    aggregate_type: string;
    aggregate_id: string;
    event_type: string;
    payload: unknown;
    created_at: Date;
  }>(
    `SELECT id, event_id, aggregate_type, aggregate_id, event_type, payload, created_at
       FROM outbox
      WHERE published_at IS NULL
      ORDER BY id
      LIMIT $1
        FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    eventType: r.event_type,
    payload: r.payload,
    createdAt: r.created_at,
  }));
}

/**
 * Stamps the rows published. clock_timestamp(), not now(): now() is the transaction's start, which
 * for a batch claimed during a broker outage is before the broker acknowledged it (the outbox-no-loss
 * oracle compares this time with the broker's start).
 */
export async function markPublished(client: ShardClient, ids: readonly string[]): Promise<void> {
  await client.query('UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])', [ids]);
}

/** Unpublished rows, counted up to `cap` so the gauge stays cheap even with a huge backlog. */
export async function countUnpublished(client: ShardClient, cap: number): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT $1) AS pending',
    [cap],
  );
  return rows[0]?.n ?? 0;
}
