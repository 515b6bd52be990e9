import pg from 'pg';

export interface ShardPoolOptions {
  readonly url: string;
  /** Connections at most. */
  readonly max: number;
  /** How long to wait for a connection before giving up, ms. */
  readonly connectTimeoutMs: number;
  /**
   * Server-side statement timeout, ms. The client gives up 1 s later (the server-side timeout
   * cannot fire when the server is gone), and a session idle inside a transaction this long times
   * `idleInTransactionFactor` is ended by the server.
   */
  readonly statementTimeoutMs: number;
  /** Multiplies statementTimeoutMs for `idle_in_transaction_session_timeout` (default 2). */
  readonly idleInTransactionFactor?: number;
  /** Shown in pg_stat_activity. */
  readonly applicationName: string;
  /** An idle client whose server died reports here (without a listener the process would crash). */
  readonly onIdleError: (err: Error) => void;
}

/** A pg.Pool to one Postgres server with the project's timeouts: the one way services make one. */
export function createShardPool(options: ShardPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1000,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * (options.idleInTransactionFactor ?? 2),
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName,
  });
  pool.on('error', options.onIdleError);
  return pool;
}
