import type pg from 'pg';

export interface TransactionOptions<B = unknown, C = unknown> {
  /**
   * What opens it (default `BEGIN`). It may carry more statements for the same round trip
   * (`BEGIN; SELECT guard(...)`) or an isolation level (`BEGIN ISOLATION LEVEL REPEATABLE READ`).
   */
  readonly begin?: string;
  /** What closes it (default `COMMIT`); may read something in the same round trip. */
  readonly commit?: string;
  /** Sees the result of `begin` before `fn` runs; throw to roll back (e.g. a fenced partition). */
  readonly afterBegin?: (result: B) => void;
  /** Sees the result of `commit` (e.g. the WAL position of the commit). */
  readonly afterCommit?: (result: C) => void;
  /**
   * ROLLBACK itself failed: the connection is in an unknown state and must not be reused. A client
   * that `withTransaction` checked out is released as broken anyway; one the caller passed in is
   * the caller's to drop here. The transaction's own error is what is thrown, either way.
   */
  readonly onRollbackError?: (err: unknown, client: pg.PoolClient) => void;
}

/** What a transaction runs on: a pooled client, or a pool (a client is checked out for it). */
export type TransactionTarget = pg.Pool | pg.PoolClient;

function isPool(target: TransactionTarget): target is pg.Pool {
  return 'totalCount' in target;
}

/**
 * Runs `fn` inside BEGIN/COMMIT on one connection; any error rolls back and is rethrown. The one transaction helper of the project:
 * the shard pools, the partition move, the migrator and billing all use it.
 */
export async function withTransaction<T, B = unknown, C = unknown>(
  target: TransactionTarget,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions<B, C> = {},
): Promise<T> {
  if (!isPool(target)) return inTransaction(target, fn, options);
  const client = await target.connect();
  let broken: Error | undefined;
  try {
    return await inTransaction(client, fn, {
      ...options,
      onRollbackError: (err, c) => {
        broken = err instanceof Error ? err : new Error(String(err));
        options.onRollbackError?.(err, c);
      },
    });
  } finally {
    client.release(broken);
  }
}

async function inTransaction<T, B, C>(
  client: pg.PoolClient,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions<B, C>,
): Promise<T> {
  try {
    const opened = await client.query(options.begin ?? 'BEGIN');
    options.afterBegin?.(opened as B);
    const result = await fn(client);
    const committed = await client.query(options.commit ?? 'COMMIT');
    options.afterCommit?.(committed as C);
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => options.onRollbackError?.(rollbackError, client));
    throw err;
  }
}
