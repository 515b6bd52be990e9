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
  /**
   * A client whose connection failed reports here, idle or checked out (without a listener the
   * process would crash: pg emits 'error' on the client, and the pool listens only while idle).
   */
  readonly onConnectionError: (err: Error) => void;
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
  pool.on('error', options.onConnectionError);
  // pg-pool removes its own listener while a client is checked out. A connection ended then (the
  // server's idle_in_transaction_session_timeout firing while this process was paused inside a
  // transaction; a primary killed between two statements) made the client emit an unheard 'error':
  // an uncaught exception that stopped the billing leader in a game day. The holder still learns of
  // it: the client's next query rejects ("not queryable"), and releasing it with that error drops it.
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_err, client) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    // Idle clients report through the pool's 'error' above; this covers the checked-out ones.
    client.on('error', (err) => {
      if (checkedOut.has(client)) options.onConnectionError(err);
    });
  });
  return pool;
}
