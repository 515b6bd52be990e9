import { createRepointablePools, createShardPool, withTransaction, type RepointablePools } from '@sdl/db';
import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { TimingSink } from '@sdl/server';
import { Counter, Histogram, type Registry } from '@sdl/metrics';
import type pg from 'pg';
import { isShardUnavailable, toShardError } from './db-errors.js';
import { ApiErrors, PartitionMovedError } from '../errors.js';
import { parseLsn, ReadScopes, type ReadFrom } from '../replication/read-scope.js';
import { createReplicaMonitor, type ReplicaMonitor } from '../replication/replica-monitor.js';
import { createShardListener, type ShardListener } from './shard-listener.js';

export interface ShardPoolsOptions {
  /** Postgres URL of each shard primary; the index is the shard number. */
  readonly urls: readonly string[];
  /**
   * Runs on a new primary pool before a repoint swaps it in (the plugin migrates it); `signal`
   * aborts when a newer repoint supersedes it. Default: none.
   */
  readonly preparePrimary?: (pool: pg.Pool, shard: number, signal: AbortSignal) => Promise<void>;
  readonly logger: Logger;
  readonly registry: Registry;
  // The values below come from the api config, where their defaults are (PG_POOL_MAX, ...).
  /** Connections per shard. */
  readonly poolMax: number;
  /** How long to wait for a connection before the shard counts as unavailable, ms. */
  readonly connectTimeoutMs: number;
  /** Server-side statement timeout, ms; the client gives up 1 s later. */
  readonly statementTimeoutMs: number;
  /** Streaming replica URL of each shard (same index); a missing or empty entry = no replica. */
  readonly replicaUrls: readonly (string | undefined)[];
  /** Replica probe periods (busy, idle) and the lag bounds of token-less replica reads (see ReplicaMonitor). */
  readonly replicaProbeMs: number;
  readonly replicaIdleProbeMs: number;
  readonly maxReplicaLagMs: number;
  readonly maxReplicaLagBytes: number;
  /** Reads without a token may use a replica within the lag bounds (otherwise: the primary). */
  readonly tokenlessReplicaReads: boolean;
  /**
   * CAP under a partition: with the primary unreachable, `consistency` refuses a read the replica
   * cannot prove fresh (503); `availability` serves the replica's copy, labelled stale.
   */
  readonly partitionMode?: 'consistency' | 'availability';
  /** The request's `Server-Timing` (`api-db`: pool wait and queries). */
  readonly timing?: TimingSink;
}

export type ShardClient = pg.PoolClient;

/**
 * One pg.Pool per shard primary, repointable at run time (`primaries.repoint`: a failover moves a
 * shard to another server without a restart). Every query goes through `withClient`/`transaction`, which time it
 * (`api_db_query_duration_seconds{shard,op}`) and turn "shard unreachable" into a retriable 503.
 * A shard serves only once its schema is migrated (see `markMigrated`).
 */
export class ShardPools {
  readonly #primaries: RepointablePools;
  readonly #migrated = new Set<number>();
  // Connections left in an unknown state (a failed ROLLBACK): destroyed instead of reused.
  readonly #broken = new WeakSet<ShardClient>();
  readonly #duration: Histogram<'shard' | 'op'>;
  readonly #log: Logger;
  readonly #replicas: ReplicaMonitor;
  readonly #reads: Counter<'shard' | 'from'>;
  readonly #timing: TimingSink | undefined;
  /** The request's read tokens, write LSNs and read placement (see ReadScopes). */
  readonly scopes = new ReadScopes();
  /** PARTITION_MODE, switched at run time by the node's settings (src/run-time-settings.ts). */
  partitionMode: 'consistency' | 'availability';

  constructor(options: ShardPoolsOptions) {
    const log = options.logger.child({ component: 'shard-pools' });
    this.#log = log;
    this.#timing = options.timing;
    this.partitionMode = options.partitionMode ?? 'consistency';
    const makePool = (url: string, shard: number, role: string): pg.Pool =>
      createShardPool({
        url,
        max: options.poolMax,
        connectTimeoutMs: options.connectTimeoutMs,
        statementTimeoutMs: options.statementTimeoutMs,
        applicationName: 'sdl-api',
        onConnectionError: (err) => log.warn({ err, shard, role }, 'shard connection failed'),
      });
    this.#primaries = createRepointablePools({
      urls: options.urls,
      make: (url, shard) => makePool(url, shard, 'primary'),
      ...(options.preparePrimary === undefined ? {} : { prepare: options.preparePrimary }),
    });
    // Same pool size and timeouts as the primary: a slow replica costs a read no more than a slow primary.
    // A replica pool is not repointed: after a promote it names the new primary, which its probe
    // finds is no standby, so its reads go to the primary (the pool, not the server, is skipped).
    const replicaPools = options.urls.map((_, shard) => {
      const url = options.replicaUrls[shard];
      return url === undefined || url === '' ? undefined : makePool(url, shard, 'replica');
    });
    this.#replicas = createReplicaMonitor({
      // The live view: the probe follows a repointed primary.
      primaries: this.#primaries.pools,
      replicas: replicaPools,
      logger: options.logger,
      registry: options.registry,
      probeMs: options.replicaProbeMs,
      idleProbeMs: options.replicaIdleProbeMs,
      maxLagMs: options.maxReplicaLagMs,
      maxLagBytes: options.maxReplicaLagBytes,
      tokenlessReads: options.tokenlessReplicaReads,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    this.#reads = new Counter({
      name: 'api_db_reads_total',
      help: 'Replica-eligible reads by shard and where they were served (primary, replica)',
      labelNames: ['shard', 'from'] as const,
      registers: [options.registry],
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
    return this.#primaries.count;
  }

  /** The primary pools by shard, repointable (see RepointablePools); look pools up per use. */
  get primaries(): RepointablePools {
    return this.#primaries;
  }

  /**
   * LISTENs on `channel` of the shard's primary over a dedicated connection (reconnecting with
   * backoff, to the primary of the moment); `onWake` runs for each notification and after each
   * (re)connect. The caller closes it.
   */
  listen(shard: number, channel: string, onWake: () => void): ShardListener {
    this.#primaries.url(shard);
    const url = (): string => this.#primaries.url(shard);
    return createShardListener({ url, channel, onWake, logger: this.#log.child({ shard, channel }) });
  }

  /** The raw pool (migrations only: they run before the shard is marked migrated). */
  pool(shard: number): pg.Pool {
    return this.#primaries.pool(shard);
  }

  markMigrated(shard: number): void {
    this.#migrated.add(shard);
  }

  /** Runs `fn` with a pooled connection to the shard's primary; errors are mapped (see toShardError). */
  async withClient<T>(shard: number, op: string, fn: (client: ShardClient) => Promise<T>): Promise<T> {
    const pool = this.pool(shard);
    if (!this.#migrated.has(shard)) {
      throw new AppError(ApiErrors.shardUnavailable, {
        message: `shard ${shard} is not migrated yet`,
        details: { shard },
      });
    }
    return this.#run(pool, shard, op, fn);
  }

  /** The replica monitor (probe state, lag metrics). */
  get replicas(): ReplicaMonitor {
    return this.#replicas;
  }

  /** Starts the replica probes (after the pools exist; the plugin calls it). */
  startReplicaProbes(): void {
    this.#replicas.start();
  }

  /**
   * Where a read on `shard` would go now: the replica when it has replayed the request's token for
   * this shard (or, without a token, lags within the bounds), else the primary. The answer is part
   * of the single-flight key, so readers with different consistency needs never share a read.
   */
  readTarget(shard: number): string {
    const tokens = this.scopes.current()?.tokens;
    if (tokens === 'invalid') return 'primary';
    const token = tokens?.get(shard);
    if (!this.#replicas.usable(shard, token)) return 'primary';
    return token === undefined ? 'replica' : `replica@${token}`;
  }

  /**
   * A read that the shard's replica may serve when `replicaOk` (see readTarget). A replica that
   * fails is skipped: marked down and the read retried on the primary at once, so the client never
   * sees its error (a bad input error, the same on both, is thrown as it is).
   */
  async read<T>(shard: number, op: string, replicaOk: boolean, fn: (client: ShardClient) => Promise<T>): Promise<T> {
    const replica = this.#replicas.replicaPool(shard);
    if (replicaOk && replica !== undefined && this.#migrated.has(shard) && this.readTarget(shard) !== 'primary') {
      try {
        const value = await this.#run(replica, shard, `${op}_replica`, fn);
        this.#noteRead(shard, 'replica');
        return value;
      } catch (err) {
        if (err instanceof AppError && !isShardUnavailable(err.cause)) throw err;
        this.#replicas.markDown(shard, err);
      }
    }
    try {
      const value = await this.withClient(shard, op, fn);
      this.#noteRead(shard, 'primary');
      return value;
    } catch (err) {
      // Availability first: the primary is unreachable, the replica answers with what it has.
      const unreachable = err instanceof AppError && isShardUnavailable(err.cause);
      if (!replicaOk || !unreachable || this.partitionMode !== 'availability') throw err;
      if (replica === undefined || !this.#migrated.has(shard)) throw err;
      const value = await this.#run(replica, shard, `${op}_replica`, fn);
      this.#noteRead(shard, 'replica-stale');
      return value;
    }
  }

  #noteRead(shard: number, from: ReadFrom): void {
    this.scopes.noteRead(from);
    this.#reads.inc({ shard: String(shard), from });
  }

  async #run<T>(pool: pg.Pool, shard: number, op: string, fn: (client: ShardClient) => Promise<T>): Promise<T> {
    const stop = this.#duration.startTimer({ shard: String(shard), op });
    const started = performance.now();
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
      this.#timing?.add('db', performance.now() - started);
    }
  }

  /**
   * `withClient` inside BEGIN/COMMIT; any error rolls back (and the connection is dropped if broken).
   * The commit also reads `pg_current_wal_insert_lsn()` (same round trip): an LSN at or past the end
   * of this transaction's commit record, so a replica that has replayed it sees the write. It is
   * recorded in the request's scope and returned to the client as its read token.
   */
  async transaction<T>(shard: number, op: string, fn: (client: ShardClient) => Promise<T>): Promise<T> {
    return this.#transaction(shard, op, undefined, fn);
  }

  /**
   * `transaction` for writes to rows of `partitions` (every write: they all belong to partitions):
   * its first statement takes the partitions' write guard, which waits out a partition move's final
   * catch-up and throws PartitionMovedError if this shard has given any of them away. The guard
   * travels with BEGIN in one round trip, so it costs a write no extra round trip.
   */
  async partitionTransaction<T>(
    shard: number,
    partitions: readonly number[],
    op: string,
    fn: (client: ShardClient) => Promise<T>,
  ): Promise<T> {
    return this.#transaction(shard, op, partitions, fn);
  }

  async #transaction<T>(
    shard: number,
    op: string,
    guard: readonly number[] | undefined,
    fn: (client: ShardClient) => Promise<T>,
  ): Promise<T> {
    let begin = 'BEGIN';
    if (guard !== undefined) {
      // Inlined (a multi-statement query takes no parameters): only integers, checked here.
      if (!guard.every((p) => Number.isSafeInteger(p) && p >= 0))
        throw new RangeError(`bad partitions: ${guard.join(',')}`);
      begin = `BEGIN; SELECT sdl_write_guard('{${guard.join(',')}}'::int[]) AS fenced`;
    }
    return this.withClient(shard, op, (client) =>
      withTransaction(client, fn, {
        begin,
        afterBegin: (opened: pg.QueryResult<{ fenced: number[] }>[] | pg.QueryResult) => {
          const fenced = Array.isArray(opened) ? (opened[1]?.rows[0]?.fenced ?? []) : [];
          if (fenced.length > 0) throw new PartitionMovedError(shard, fenced);
        },
        commit: 'COMMIT; SELECT pg_current_wal_insert_lsn()::text AS lsn',
        afterCommit: (results: pg.QueryResult<{ lsn: string }>[]) => {
          const lsn = parseLsn(results[1]?.rows[0]?.lsn ?? '');
          if (lsn !== undefined) this.scopes.noteWrite(shard, lsn);
        },
        onRollbackError: () => this.#broken.add(client),
      }),
    );
  }

  /** Readiness: the primary answers `SELECT 1` and this node has migrated its schema. */
  async ping(shard: number): Promise<void> {
    await this.pool(shard).query('SELECT 1');
    if (!this.#migrated.has(shard)) throw new Error(`shard ${shard} reachable but not migrated yet`);
  }

  async close(): Promise<void> {
    await this.#replicas.close();
    const replicas = this.#primaries.pools.map((_, shard) => this.#replicas.replicaPool(shard));
    await Promise.all([this.#primaries.close(), ...replicas.map((pool) => pool?.end())]);
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export function createShardPools(options: ShardPoolsOptions): ShardPools {
  return new ShardPools(options);
}
