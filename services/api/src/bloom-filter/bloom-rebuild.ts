import { randomBytes } from 'node:crypto';
import { withTransaction } from '@sdl/db';
import { AppError, type ErrorSpec } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { Redis } from '@sdl/redis';
import type pg from 'pg';
import { bloomKey, hashPairs, loadBloomScripts } from './bloom-filter.js';
import type { BloomSizing } from './bloom-sizing.js';

/** A rebuild's own stable codes (an operator's tool reports them; no route answers with them). */
export const BloomRebuildErrors = {
  running: {
    code: 'API_ERR_BLOOM_REBUILD_RUNNING',
    statusCode: 409,
    message: 'another rebuild of this filter holds its lease',
  },
  lost: {
    code: 'API_ERR_BLOOM_REBUILD_LOST',
    statusCode: 409,
    message: 'the rebuild lost its lease or its generation (expired, or the filter was marked stale); run it again',
  },
} as const satisfies Record<string, ErrorSpec>;

/** The entities with a filter, and the table whose ids fill it. */
export const BLOOM_ENTITIES = { account: 'accounts', post: 'posts', subscription: 'subscriptions' } as const;
export type BloomEntity = keyof typeof BLOOM_ENTITIES;

export interface BloomRebuildOptions {
  readonly redis: Redis;
  /** Every shard's primary: each row is read where it lives (a row mid-move on two shards is added twice, harmlessly). */
  readonly primaries: readonly pg.Pool[];
  readonly entity: BloomEntity;
  readonly sizing: BloomSizing;
  readonly logger: Logger;
  /** Ids per FETCH and per add script (default 5,000). */
  readonly batchSize?: number;
  /** The rebuild lease; renewed after every batch (default 60,000 ms). */
  readonly leaseMs?: number;
}

export interface BloomRebuildReport {
  readonly entity: BloomEntity;
  readonly items: number;
  readonly bits: number;
  readonly hashes: number;
  readonly bytes: number;
  readonly ms: number;
}

/**
 * Rebuilds one entity's filter from the database into a new generation while the old one (if
 * any) keeps answering, then swaps. Creates during the rebuild add to both generations (see
 * bloom-add.lua), and each create adds again after its commit, so an id the scan's snapshot
 * missed is in the new generation too. Progress is logged per batch.
 */
export async function rebuildBloomFilter(options: BloomRebuildOptions): Promise<BloomRebuildReport> {
  const { redis, entity, sizing, logger } = options;
  const batchSize = options.batchSize ?? 5000;
  const leaseMs = options.leaseMs ?? 60_000;
  const scripts = loadBloomScripts();
  const keys = [bloomKey(entity), `${bloomKey(entity)}:rebuild`];
  const generation = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const log = logger.child({ component: 'bloom-rebuild', entity, generation });
  const started = performance.now();
  const begun = await scripts.begin.run(redis, keys, [generation, sizing.bits, sizing.hashes, leaseMs]);
  if (begun !== 1) throw new AppError(BloomRebuildErrors.running, { details: { entity } });
  log.info({ bits: sizing.bits, hashes: sizing.hashes }, 'bloom rebuild started');
  let items = 0;
  try {
    for (const [shard, pool] of options.primaries.entries()) {
      let onShard = 0;
      await withTransaction(
        pool,
        async (client) => {
          // One snapshot, one sequential scan, read a batch at a time.
          await client.query(`DECLARE bloom_ids NO SCROLL CURSOR FOR SELECT id FROM ${BLOOM_ENTITIES[entity]}`);
          for (;;) {
            const { rows } = await client.query<{ id: string }>(`FETCH ${batchSize} FROM bloom_ids`);
            if (rows.length === 0) break;
            await scripts.add.run(redis, [keys[0]!], hashPairs(rows.map((r) => r.id)));
            if ((await scripts.renew.run(redis, keys, [generation, leaseMs])) !== 1) {
              throw new AppError(BloomRebuildErrors.lost, { details: { entity } });
            }
            onShard += rows.length;
            items += rows.length;
            log.info({ shard, onShard, items }, 'bloom rebuild progress');
          }
        },
        { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
      );
    }
    if ((await scripts.swap.run(redis, keys, [generation])) !== 1) {
      throw new AppError(BloomRebuildErrors.lost, { details: { entity } });
    }
  } catch (err) {
    await scripts.abort.run(redis, keys, [generation]).catch(() => undefined);
    log.warn({ err, items }, 'bloom rebuild failed; the previous generation (if any) still answers');
    throw err;
  }
  const ms = Math.round(performance.now() - started);
  log.info({ items, ms }, 'bloom rebuild done; the new generation answers');
  return { entity, items, bits: sizing.bits, hashes: sizing.hashes, bytes: Math.ceil(sizing.bits / 8), ms };
}
