import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { createRepointablePools, createShardPool, type RepointablePools } from '@sdl/db';
import type pg from 'pg';
import { BillingErrors } from '../errors.js';

export interface ShardPrimariesOptions {
  /** Postgres URL of each shard primary; the index is the shard number. */
  readonly urls: readonly string[];
  readonly logger: Logger;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

/**
 * One pg.Pool per shard primary, the only databases billing talks to: it never reads a replica.
 * Repointable at run time (`primaries.repoint`, followed from etcd: see shard-endpoints-plugin.ts);
 * the charging work looks the pool up per tick, so a repoint takes effect at the next one.
 * The schema belongs to the api (its nodes migrate every shard at start-up), so billing may start
 * first: `hasSchema` tells whether a shard is migrated yet, and the tick skips a shard that is not.
 */
export class ShardPrimaries {
  readonly #pools: RepointablePools;
  readonly #migrated = new Set<number>();

  constructor(options: ShardPrimariesOptions) {
    const log = options.logger.child({ component: 'shards' });
    this.#pools = createRepointablePools({
      urls: options.urls,
      make: (url, shard) =>
        createShardPool({
          url,
          max: options.poolMax,
          connectTimeoutMs: options.connectTimeoutMs,
          statementTimeoutMs: options.statementTimeoutMs,
          // A leader frozen inside a transaction must not hold the fence's share lock for long.
          idleInTransactionFactor: 1,
          applicationName: 'sdl-billing',
          onConnectionError: (err) => log.warn({ err, shard }, 'shard connection failed'),
        }),
      // A new server must show its schema again (the api migrates it; this replica only looks).
      prepare: async (_pool, shard) => void this.#migrated.delete(shard),
    });
  }

  get count(): number {
    return this.#pools.count;
  }

  /** The pools by shard, repointable; look pools up per use. */
  get primaries(): RepointablePools {
    return this.#pools;
  }

  pool(shard: number): pg.Pool {
    return this.#pools.pool(shard);
  }

  /** Whether the shard has the billing schema (the fence function is created last, in one migration). */
  async hasSchema(shard: number): Promise<boolean> {
    if (this.#migrated.has(shard)) return true;
    const pool = this.pool(shard);
    const { rows } = await pool.query<{ ok: boolean }>(
      "SELECT to_regprocedure('sdl_billing_fence(bigint)') IS NOT NULL AS ok",
    );
    if (rows[0]?.ok !== true) return false;
    // Only for the server asked: a repoint during the query means a new one, not known to be migrated.
    if (this.pool(shard) === pool) this.#migrated.add(shard);
    return true;
  }

  /** Readiness: every shard primary answers and has the billing schema. */
  async check(): Promise<void> {
    await Promise.all(
      this.#pools.pools.map(async (_, shard) => {
        let migrated: boolean;
        try {
          migrated = await this.hasSchema(shard);
        } catch (err) {
          throw new AppError(BillingErrors.shardUnavailable, { message: `shard ${shard} did not answer`, cause: err });
        }
        if (!migrated)
          throw new AppError(BillingErrors.schemaNotMigrated, { message: `shard ${shard} is not migrated yet` });
      }),
    );
  }

  async close(): Promise<void> {
    await this.#pools.close();
  }
}
