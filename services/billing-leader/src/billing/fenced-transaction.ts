import { withTransaction } from '@sdl/db';
import { AppError } from '@sdl/errors';
import type pg from 'pg';
import { BillingErrors } from '../errors.js';

/** `off` runs the check but ignores a stale result (the caller counts what landed): the comparison mode. */
export type Fencing = 'on' | 'off';

/** What a fenced transaction returned, and whether it ran although a newer leader had written (fencing off). */
export interface Fenced<T> {
  readonly value: T;
  readonly stale: boolean;
}

type Opened = [pg.QueryResult, pg.QueryResult<{ fenced: number[] }>, pg.QueryResult<{ token: string }>];

function checkedInteger(value: bigint | number, what: string): string {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new RangeError(`bad ${what}: ${text}`);
  return text;
}

/** Whether the shard's fence refuses `token`: a newer leader wrote here (see sdl_billing_fence). */
export function isStale(stored: bigint, token: bigint): boolean {
  return stored > token;
}

/**
 * One billing write transaction on a shard primary. Its first round trip is
 * `BEGIN; SELECT sdl_write_guard('{p}'); SELECT sdl_billing_fence(token)`:
 *
 * 1. the partition write guard the api's writes take (004_partition_fences.sql): it waits out a
 *    partition move's final catch-up, and a partition this shard gave away is refused
 *    (BILL_ERR_PARTITION_MOVED), so a move can neither lose nor double a charge;
 * 2. the fence (005_billing_fence.sql): advanced to `token` when newer, then share-locked; a newer
 *    token already stored means this leader is stale (BILL_ERR_STALE_LEADER, with fencing on).
 *
 * Both values are integers checked here and inlined: a multi-statement query takes no parameters.
 */
export async function fencedTransaction<T>(
  pool: pg.Pool,
  partition: number,
  token: bigint,
  fencing: Fencing,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<Fenced<T>> {
  const begin =
    `BEGIN; SELECT sdl_write_guard('{${checkedInteger(partition, 'partition')}}'::int[]) AS fenced; ` +
    `SELECT sdl_billing_fence(${checkedInteger(token, 'token')}) AS token`;
  let stale = false;
  const value = await withTransaction<T, Opened>(pool, fn, {
    begin,
    afterBegin: ([, guard, fenced]) => {
      if ((guard.rows[0]?.fenced ?? []).length > 0) {
        throw new AppError(BillingErrors.partitionMoved, { details: { partition } });
      }
      const stored = BigInt(fenced.rows[0]?.token ?? '0');
      stale = isStale(stored, token);
      if (stale && fencing === 'on') {
        throw new AppError(BillingErrors.staleLeader, { details: { token: String(token), fence: String(stored) } });
      }
    },
  });
  return { value, stale };
}

/**
 * The fence alone, outside a transaction, at the start of every tick: a new leader advances every
 * shard's fence before its first charge there, and a stale one learns it (true) before doing work.
 */
export async function advanceFence(pool: pg.Pool, token: bigint): Promise<boolean> {
  const { rows } = await pool.query<{ token: string }>('SELECT sdl_billing_fence($1) AS token', [String(token)]);
  return isStale(BigInt(rows[0]?.token ?? '0'), token);
}
