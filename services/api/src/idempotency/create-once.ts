import { AppError } from '@sdl/errors';
import { ApiErrors } from '../errors.js';
import { appendOutboxEvent, type NewOutboxEvent } from '../outbox/outbox-store.js';
import type { ShardClient } from '../db/shard-pools.js';
import type { IdempotentRequest } from './idempotency-key.js';

/** What an idempotent create answers: the row, and whether an earlier request had made it. */
export interface Created<T> {
  readonly value: T;
  readonly replayed: boolean;
}

/** Where a key is unique (008_idempotency_keys.sql): per tenant for accounts, per account below. */
export interface KeyScope {
  readonly table: 'accounts' | 'posts' | 'subscriptions';
  readonly owner: 'tenant' | 'account_id';
}

/**
 * The `ON CONFLICT` clause of an idempotent INSERT. Without a key (NULL) it never fires: plain
 * inserts stay plain, and their other unique rules (one active subscription) still raise.
 */
export function onKeyConflict(scope: KeyScope): string {
  return `ON CONFLICT (${scope.owner}, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;
}

export interface CreateOnceOptions<Row, T extends { readonly id: string }> {
  readonly client: ShardClient;
  readonly request: IdempotentRequest | undefined;
  readonly scope: KeyScope;
  /** The owner's value: the tenant, or the account id. */
  readonly ownerValue: string;
  /** The columns the INSERT returns, read back for a replay. */
  readonly columns: string;
  /** The INSERT, written with onKeyConflict(), RETURNING `columns`: no row when the key existed. */
  readonly insert: () => Promise<Row | undefined>;
  readonly toValue: (row: Row) => T;
  /** The event a new row emits in the same transaction (a replay emits none). */
  readonly event: Pick<NewOutboxEvent, 'aggregateType' | 'eventType'>;
}

/**
 * Inserts and appends the row's outbox event, or answers the row an earlier request with the same
 * key made, writing nothing. The same key sent with a different request is refused with 422
 * API_ERR_IDEMPOTENCY_KEY_REUSED; a concurrent twin waits on the unique index, then finds the
 * committed row.
 */
export async function createOnce<Row, T extends { readonly id: string }>(
  options: CreateOnceOptions<Row, T>,
): Promise<Created<T>> {
  const { client, request, scope } = options;
  const inserted = await options.insert();
  if (inserted !== undefined) {
    const value = options.toValue(inserted);
    await appendOutboxEvent(client, { ...options.event, aggregateId: value.id, payload: value });
    return { value, replayed: false };
  }
  const { rows } =
    request === undefined
      ? { rows: [] }
      : await client.query<Row & { request_hash: string | null }>(
          `SELECT ${options.columns}, request_hash FROM ${scope.table}
            WHERE ${scope.owner} = $1 AND idempotency_key = $2`,
          [options.ownerValue, request.key],
        );
  const row = rows[0];
  if (request === undefined || row === undefined) {
    // Only a key can make the INSERT insert nothing, and its row cannot vanish inside this
    // transaction: reaching here is a bug, not a client error.
    throw new Error('idempotent insert wrote nothing and found no row for its key');
  }
  if (row.request_hash !== request.hash) {
    throw new AppError(ApiErrors.idempotencyKeyReused, { details: { key: request.key } });
  }
  return { value: options.toValue(row), replayed: true };
}
