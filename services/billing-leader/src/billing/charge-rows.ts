import type pg from 'pg';

/** A charge row as billing needs it; timestamps as ISO text with Postgres' microseconds. */
export interface ChargeRow {
  readonly id: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly partition: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly idempotencyKey: string;
  /** Seconds from the period becoming due to this row being written (only from createCharge). */
  readonly delaySeconds: number;
}

/** A subscription whose period is due (read without a lock; the charge transaction re-checks it). */
export interface DueSubscription {
  readonly id: string;
  readonly partition: number;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const iso = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', ${ISO})`;

const ROW = `id, subscription_id AS "subscriptionId", account_id AS "accountId", partition,
  ${iso('period_start')} AS "periodStart", ${iso('period_end')} AS "periodEnd",
  amount_cents AS "amountCents", currency, idempotency_key AS "idempotencyKey"`;

// The outbox row of a charge event, built from the charge row `c` in SQL: one round trip.
const OUTBOX_EVENT = (eventType: string): string => `
  INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, payload)
  SELECT gen_random_uuid(), 'charge', c.id, ${eventType}, jsonb_build_object(
    'chargeId', c.id, 'subscriptionId', c.subscription_id, 'accountId', c.account_id, 'partition', c.partition,
    'periodStart', ${iso('c.period_start')}, 'periodEnd', ${iso('c.period_end')},
    'amountCents', c.amount_cents, 'currency', c.currency, 'status', c.status, 'token', c.token::text,
    'idempotencyKey', c.idempotency_key, 'providerChargeId', c.provider_charge_id, 'failureCode', c.failure_code)`;

/** Due subscriptions of this shard, oldest period first, leaving out partitions found moved. */
export async function listDue(
  db: pg.Pool,
  limit: number,
  movedPartitions: readonly number[],
): Promise<DueSubscription[]> {
  const { rows } = await db.query<DueSubscription>(
    `SELECT id, partition FROM subscriptions
      WHERE status = 'active' AND next_billing_at <= now() AND NOT (partition = ANY ($2::int[]))
      ORDER BY next_billing_at LIMIT $1`,
    [limit, movedPartitions],
  );
  return rows;
}

/** Pending charges nobody has touched for `olderThanMs` (a dead leader's, or ours that ran out of attempts). */
export async function listPending(
  db: pg.Pool,
  limit: number,
  olderThanMs: number,
  movedPartitions: readonly number[],
): Promise<ChargeRow[]> {
  const { rows } = await db.query<ChargeRow>(
    `SELECT ${ROW}, 0 AS "delaySeconds" FROM charges
      WHERE status = 'pending' AND updated_at <= now() - make_interval(secs => $2::float8 / 1000)
        AND NOT (partition = ANY ($3::int[]))
      ORDER BY updated_at LIMIT $1`,
    [limit, olderThanMs, movedPartitions],
  );
  return rows;
}

/** How far behind billing is on this shard: due subscriptions (up to 10000) and the oldest one's age. */
export async function dueBacklog(db: pg.Pool): Promise<{ due: number; oldestAgeSeconds: number }> {
  const { rows } = await db.query<{ due: number; age: number }>(
    `SELECT count(*)::int AS due, coalesce(extract(epoch FROM now() - min(next_billing_at)), 0)::float8 AS age
       FROM (SELECT next_billing_at FROM subscriptions
              WHERE status = 'active' AND next_billing_at <= now() LIMIT 10000) AS due`,
  );
  return { due: rows[0]?.due ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
}

/**
 * Inside a fenced transaction: if the subscription is still active and due (row-locked; SKIP LOCKED
 * passes over one another transaction holds), inserts the period's `pending` charge with its
 * idempotency key and this token, advances next_billing_at by one period (`periodSeconds`, or the
 * plan's months when 0) and appends `charge.created` to the outbox. Undefined when nothing was due.
 * Periods are contiguous: each starts where the previous one ended, so the charges have no gaps.
 */
export async function createCharge(
  client: pg.PoolClient,
  subscriptionId: string,
  token: bigint,
  periodSeconds: number,
): Promise<ChargeRow | undefined> {
  const { rows } = await client.query<ChargeRow>(
    `WITH due AS (
       SELECT id, account_id, partition, amount_cents, currency, period_months, next_billing_at AS period_start
         FROM subscriptions
        WHERE id = $1 AND status = 'active' AND next_billing_at <= now()
          FOR UPDATE SKIP LOCKED
     ), advanced AS (
       UPDATE subscriptions s
          SET next_billing_at = due.period_start + CASE WHEN $3::int > 0 THEN make_interval(secs => $3::int)
                                                        ELSE make_interval(months => due.period_months) END
         FROM due WHERE s.id = due.id
       RETURNING due.*, s.next_billing_at AS period_end
     ), c AS (
       INSERT INTO charges (id, subscription_id, account_id, partition, period_start, period_end, amount_cents,
                            currency, status, token, idempotency_key)
       SELECT 'chg_' || replace(gen_random_uuid()::text, '-', ''), id, account_id, partition, period_start, period_end,
              amount_cents, currency, 'pending', $2::bigint, 'sub:' || id || ':' || ${iso('period_start')}
         FROM advanced
       ON CONFLICT (subscription_id, period_start) DO NOTHING
       RETURNING *
     ), event AS (${OUTBOX_EVENT("'charge.created'")} FROM c)
     SELECT ${ROW}, extract(epoch FROM now() - period_start)::float8 AS "delaySeconds" FROM c`,
    [subscriptionId, String(token), periodSeconds],
  );
  return rows[0];
}

/** The provider's verdict on a charge. */
export type Settlement =
  | { readonly status: 'succeeded'; readonly providerChargeId: string }
  | { readonly status: 'failed'; readonly failureCode: string };

/**
 * Inside a fenced transaction: settles a still-pending charge with this token and appends
 * `charge.succeeded` or `charge.failed`. False when it was no longer pending (another leader, or
 * another attempt, settled it first: then nothing is written, no event twice).
 */
export async function settleCharge(
  client: pg.PoolClient,
  chargeId: string,
  token: bigint,
  settlement: Settlement,
): Promise<boolean> {
  const providerChargeId = settlement.status === 'succeeded' ? settlement.providerChargeId : null;
  const failureCode = settlement.status === 'failed' ? settlement.failureCode : null;
  const { rowCount } = await client.query(
    `WITH c AS (
       UPDATE charges SET status = $2, provider_charge_id = $3, failure_code = $4, token = $5::bigint, updated_at = now()
        WHERE id = $1 AND status = 'pending'
       RETURNING *
     ), event AS (${OUTBOX_EVENT("'charge.' || c.status")} FROM c)
     SELECT id FROM c`,
    [chargeId, settlement.status, providerChargeId, failureCode, String(token)],
  );
  return (rowCount ?? 0) > 0;
}
