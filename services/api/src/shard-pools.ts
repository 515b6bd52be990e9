import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { Histogram, type Registry } from '@sdl/metrics';
import pg from 'pg';
import { isShardUnavailable, toShardError } from './db-errors.js';
import { ApiErrors } from './errors.js';

export interface ShardPoolsOptions {
  /** Postgres URL of each shard primary; the index is the shard number. */
  readonly urls: readonly string[];
  readonly logger: Logger;
  readonly registry: Registry;
  /** Connections per shard (default 10). */
  readonly poolMax?: number;
  /** How long to wait for a connection before the shard counts as unavailable, ms (default 2000). */
  readonly connectTimeoutMs?: number;
  /** Server-side statement timeout, ms (default 5000); the client gives up 1 s later. */
  readonly statementTimeoutMs?: number;
}

export type ShardClient = pg.PoolClient;

/**
 * One pg.Pool per shard primary. Every query goes through `withClient`/`transaction`, which time it
 * (`api_db_query_duration_seconds{shard,op}`) and turn "shard unreachable" into a retriable 503.
 * A shard serves only once its schema is migrated (see `markMigrated`).
 */
export class ShardPools {
  readonly #pools: pg.Pool[];
  readonly #migrated = new Set<number>();
  // Connections left in an unknown state (a failed ROLLBACK): destroyed instead of reused.
  readonly #broken = new WeakSet<ShardClient>();
  readonly #duration: Histogram<'shard' | 'op'>;
  readonly #log: Logger;

  constructor(options: ShardPoolsOptions) {
    const log = options.logger.child({ component: 'shard-pools' });
    this.#log = log;
    const statementTimeout = options.statementTimeoutMs ?? 5000;
    this.#pools = options.urls.map((url, shard) => {
      const pool = new pg.Pool({
        connectionString: url,
        max: options.poolMax ?? 10,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
        statement_timeout: statementTimeout,
        // The server-side timeout cannot fire when the server is gone; this one still does.
        query_timeout: statementTimeout + 1000,
        idle_in_transaction_session_timeout: statementTimeout * 2,
        idleTimeoutMillis: 30_000,
        keepAlive: true,
        application_name: 'sdl-api',
      });
      // An idle client whose server died emits here; without a listener the process would crash.
      pool.on('error', (err) => log.warn({ err, shard }, 'idle shard connection failed'));
      return pool;
    });
    this.#duration = new Histogram({
      name: 'api_db_query_duration_seconds',
      help: 'Duration of shard database operations by shard and operation',
      labelNames: ['shard', 'op'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [options.registry],
    });
  }

  get count(): number {
    return this.#pools.length;
  }

  /** The raw pool (migrations only: they run before the shard is marked migrated). */
  pool(shard: number): pg.Pool {
    const pool = this.#pools[shard];
    if (pool === undefined) throw new RangeError(`no shard ${shard}; only 0..${this.#pools.length - 1}`);
    return pool;
  }

  markMigrated(shard: number): void {
    this.#migrated.add(shard);
  }

  isMigrated(shard: number): boolean {
    return this.#migrated.has(shard);
  }

  /** Runs `fn` with a pooled connection to the shard's primary; errors are mapped (see toShardError). */
  async withClient<T>(shard: number, op: string, fn: (client: ShardClient) => Promise<T>): Promise<T> {
    const pool = this.pool(shard);
    if (!this.#migrated.has(shard)) {
      throw new AppError(ApiErrors.shardUnavailable, { message: `shard ${shard} is not migrated yet`, details: { shard } });
    }
    const stop = this.#duration.startTimer({ shard: String(shard), op });
    let client: ShardClient | undefined;
    // pg-pool listens for errors only on idle clients; a server that dies while we hold one
    // (between two statements of a transaction) would otherwise be an uncaught 'error' event.
    const onError = (err: Error): void => {
      if (client !== undefined) this.#broken.add(client);
      this.#log.warn({ err, shard }, 'shard connection failed while in use');
    };
    try {
      client = await pool.connect();
      client.on('error', onError);
      const result = await fn(client);
      client.removeListener('error', onError);
      client.release(this.#broken.has(client) ? new Error('connection failed while in use') : undefined);
      return result;
    } catch (err) {
      // A connection that failed at the socket level must not go back into the pool. Our listener
      // stays on it: the socket may still report its end after the pool let it go.
      const broken = client !== undefined && (isShardUnavailable(err) || this.#broken.has(client));
      if (client !== undefined && !broken) client.removeListener('error', onError);
      client?.release(broken ? toError(err) : undefined);
      throw toShardError(err, shard);
    } finally {
      stop();
    }
  }

  /** `withClient` inside BEGIN/COMMIT; any error rolls back (and the connection is dropped if broken). */
  async transaction<T>(shard: number, op: string, fn: (client: ShardClient) => Promise<T>): Promise<T> {
    return this.withClient(shard, op, async (client) => {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => this.#broken.add(client));
        throw err;
      }
    });
  }

  /** Readiness: the primary answers `SELECT 1` and this node has migrated its schema. */
  async ping(shard: number): Promise<void> {
    await this.pool(shard).query('SELECT 1');
    if (!this.#migrated.has(shard)) throw new Error(`shard ${shard} reachable but not migrated yet`);
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((pool) => pool.end()));
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export function createShardPools(options: ShardPoolsOptions): ShardPools {
  return new ShardPools(options);
}
