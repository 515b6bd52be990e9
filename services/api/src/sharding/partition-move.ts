import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@sdl/logging';
import type pg from 'pg';
import { withTransaction } from '@sdl/db';
import {
  copyPartition,
  deletePartition,
  syncPartition,
  type PartitionedTable,
  type SyncResult,
} from './partition-copy.js';
import type { ReadShardMap, ShardMapStore, StoredShardMap } from './shard-map-store.js';

/** Advisory lock namespace shared with sdl_write_guard (004_partition_fences.sql). */
const FENCE_LOCK_SPACE = 1500;

/** A move that cannot be made or did not finish; `code` is stable, the message says why. */
export class PartitionMoveError extends Error {
  readonly code: string = 'SHARD_ERR_MOVE_FAILED';
}

export interface MovePartitionOptions {
  /** A pool per shard primary (index = shard). */
  readonly primaries: readonly pg.Pool[];
  /** The shard map in etcd (what a move reads and switches). */
  readonly store: Pick<ShardMapStore, 'read' | 'swap'>;
  readonly partition: number;
  readonly to: number;
  readonly logger: Logger;
  /** Wait between the map switch and deleting the old copy, for nodes still reading the old map, ms (default 2000). */
  readonly cleanupGraceMs?: number | undefined;
  /** Longest wait, before the fence, for the source's outbox to publish its backlog, ms (default 3000). */
  readonly outboxDrainMs?: number | undefined;
  /** The same wait under the fence (only when the relay drained the backlog before it), ms (default 1000). */
  readonly fenceDrainMs?: number | undefined;
  /** How long the fence waits for the writes in flight on the partition, ms (default 5000). */
  readonly lockTimeoutMs?: number | undefined;
}

interface Timings {
  readonly cleanupGraceMs: number;
  readonly outboxDrainMs: number;
  readonly fenceDrainMs: number;
  readonly lockTimeoutMs: number;
}

/** The options' waits with their defaults (written here only). */
function timings(o: MovePartitionOptions): Timings {
  return {
    cleanupGraceMs: o.cleanupGraceMs ?? 2000,
    outboxDrainMs: o.outboxDrainMs ?? 3000,
    fenceDrainMs: o.fenceDrainMs ?? 1000,
    lockTimeoutMs: o.lockTimeoutMs ?? 5000,
  };
}

export interface MoveReport {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly version: number;
  readonly copied: Record<PartitionedTable, number>;
  /** The catch-up pass without the fence, then the final one under it. */
  readonly caughtUp: SyncResult;
  readonly underFence: SyncResult;
  /** How long writes to the partition were held (lock taken until the new map was in etcd), ms. */
  readonly fenceMs: number;
  readonly outboxDrained: boolean;
  readonly cleanedUp: number;
  readonly totalMs: number;
}

/**
 * Moves one logical partition to another shard while writes continue:
 *  1. bulk copy (no lock): every row of the partition, upserted on the destination;
 *  2. fence: the exclusive advisory lock on the source waits for the partition's writes in flight
 *     and holds back new ones (every write takes the shared lock first, see sdl_write_guard);
 *  3. catch-up under the fence: only rows that changed since the copy travel;
 *  4. the source's outbox publishes what it holds (bounded waits, before and under the fence), so
 *     the partition's events keep their order across shards; then the source records the fence (`partition_fences`) and commits;
 *  5. the map switches in etcd by compare-and-swap; writers held by the fence find the partition
 *     fenced, re-read the map and retry on the destination; no write is lost or applied twice;
 *  6. after a grace period for nodes still on the old map, the source's copy is deleted.
 * A failure before 5 leaves the map and the source as they were (the fence row is removed).
 * Re-running a move that failed after its fence committed resumes it.
 */
export async function movePartition(options: MovePartitionOptions): Promise<MoveReport> {
  const started = performance.now();
  const plan = await planMove(options);
  const t = timings(options);
  const log = options.logger.child({ component: 'partition-move', partition: plan.partition, to: plan.to });
  log.info({ from: plan.from, version: plan.current.map.version }, 'partition move: bulk copy');
  const { copied, caughtUp, relayDraining } = await copyPhase(plan, t.outboxDrainMs);
  const fence = await fencePhase(plan, relayDraining, t, log);
  await switchPhase(plan, options.store);
  const fenceMs = performance.now() - fence.startedAt;
  log.info(
    { version: plan.next.version, fenceMs: Math.round(fenceMs), underFence: fence.underFence },
    'partition move: map switched',
  );
  const cleanedUp = await cleanupPhase(plan, t.cleanupGraceMs);
  const report: MoveReport = {
    partition: plan.partition,
    from: plan.from,
    to: plan.to,
    version: plan.next.version,
    copied,
    caughtUp,
    underFence: fence.underFence,
    fenceMs,
    outboxDrained: fence.outboxDrained,
    cleanedUp,
    totalMs: performance.now() - started,
  };
  log.info({ ...report, fenceMs: Math.round(fenceMs), totalMs: Math.round(report.totalMs) }, 'partition move: done');
  return report;
}

/** What a move reads before it touches anything: where the partition is, where it goes, the next map. */
interface MovePlan {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly source: pg.Pool;
  readonly dest: pg.Pool;
  readonly current: ReadShardMap;
  readonly next: StoredShardMap;
}

async function planMove(options: MovePartitionOptions): Promise<MovePlan> {
  const { primaries, partition, to } = options;
  const current = await options.store.read();
  if (current === undefined) throw new PartitionMoveError('no shard map in etcd yet (start an api node first)');
  const from = current.map.assignments[partition];
  if (from === undefined)
    throw new PartitionMoveError(`no partition ${partition}; only 0..${current.map.assignments.length - 1}`);
  const source = primaries[from];
  const dest = primaries[to];
  if (dest === undefined || source === undefined)
    throw new PartitionMoveError(`no shard ${to}; only 0..${primaries.length - 1}`);
  if (from === to) throw new PartitionMoveError(`partition ${partition} is already on shard ${to}`);
  const next = {
    version: current.map.version + 1,
    assignments: current.map.assignments.map((shard, p) => (p === partition ? to : shard)),
    updatedAt: new Date().toISOString(),
    reason: `partition ${partition} moved from shard ${from} to shard ${to}`,
  };
  return { partition, from, to, source, dest, current, next };
}

/** Phase 1, no lock: the bulk copy from one snapshot, then a catch-up of what changed meanwhile. */
async function copyPhase(
  plan: MovePlan,
  outboxDrainMs: number,
): Promise<{ copied: Record<PartitionedTable, number>; caughtUp: SyncResult; relayDraining: boolean }> {
  const { source, dest, partition } = plan;
  // The outbox backlog is published before the fence, so the wait under it is short; a relay that
  // is not draining at all (Kafka down) is not waited for under the fence either.
  const relayDraining = await drainOutbox(source, await maxOutboxId(source), outboxDrainMs);
  // Leftovers of an earlier failed attempt would otherwise survive as rows the source lacks.
  await deletePartition(dest, partition);
  const copied = await inSnapshot(source, (reader) => copyPartition(reader, dest, partition));
  // What changed during the copy, still without a fence: the fenced pass then has little to do.
  const caughtUp = await inSnapshot(source, (reader) =>
    withTransaction(dest, (d) => syncPartition(reader, d, partition)),
  );
  return { copied, caughtUp, relayDraining };
}

/**
 * Phase 2, under the fence: the exclusive advisory lock holds the partition's writes, the final
 * catch-up runs, the source's outbox drains (bounded), and the source records the fence; all in
 * one transaction on the source, so a failure leaves no fence behind.
 */
async function fencePhase(
  plan: MovePlan,
  relayDraining: boolean,
  t: Timings,
  log: Logger,
): Promise<{ startedAt: number; underFence: SyncResult; outboxDrained: boolean }> {
  const { source, dest, partition } = plan;
  let startedAt = 0;
  return withTransaction(source, async (fencer) => {
    await fencer.query(`SET LOCAL lock_timeout = ${Math.trunc(t.lockTimeoutMs)}`);
    await fencer.query('SELECT pg_advisory_xact_lock($1, $2)', [FENCE_LOCK_SPACE, partition]);
    startedAt = performance.now();
    const lastEvent = await maxOutboxId(fencer);
    const underFence = await withTransaction(dest, async (d) => {
      const synced = await syncPartition(fencer, d, partition);
      // The partition may come back to a shard that once gave it away.
      await d.query('DELETE FROM partition_fences WHERE partition = $1', [partition]);
      return synced;
    });
    const outboxDrained = relayDraining && (await drainOutbox(source, lastEvent, t.fenceDrainMs));
    if (!outboxDrained)
      log.warn(
        'source outbox not drained in time (relay down?); events of this partition may reach consumers out of order',
      );
    await fencer.query(
      `INSERT INTO partition_fences (partition, moved_to, map_version) VALUES ($1, $2, $3)
       ON CONFLICT (partition) DO UPDATE SET moved_to = EXCLUDED.moved_to, map_version = EXCLUDED.map_version, fenced_at = now()`,
      [partition, plan.to, plan.next.version],
    );
    return { startedAt, underFence, outboxDrained };
  });
}

/**
 * Phase 3: the map switches by compare-and-swap. If it did not switch, the map still names the
 * source: the fence is lifted so its writes go on there (but never when the outcome is unknown).
 */
async function switchPhase(plan: MovePlan, store: Pick<ShardMapStore, 'read' | 'swap'>): Promise<void> {
  try {
    if (!(await switchMap(store, plan.current, plan.next))) {
      throw new PartitionMoveError('the shard map changed during the move (another move?); nothing was switched');
    }
  } catch (err) {
    if (!(err instanceof MapUnknownError)) {
      await plan.source
        .query('DELETE FROM partition_fences WHERE partition = $1', [plan.partition])
        .catch(() => undefined);
    }
    throw err;
  }
}

/** Phase 4: after a grace period for nodes still on the old map, the source's copy is deleted. */
async function cleanupPhase(plan: MovePlan, graceMs: number): Promise<number> {
  await sleep(graceMs);
  return deletePartition(plan.source, plan.partition);
}

/** etcd did not say whether the switch happened: the fence stays (fail closed) until an operator acts. */
export class MapUnknownError extends PartitionMoveError {
  override readonly code = 'SHARD_ERR_MAP_SWITCH_UNKNOWN';
}

/**
 * The compare-and-swap of the map, telling "not switched" (false) from "switched" (true) even when
 * etcd's answer is lost: lifting the fence after a switch that did happen would let a node still on
 * the old map write where nobody reads any more. If etcd cannot be read back either, the outcome
 * is unknown and the partition stays fenced.
 */
async function switchMap(
  store: Pick<ShardMapStore, 'read' | 'swap'>,
  current: ReadShardMap,
  next: StoredShardMap,
): Promise<boolean> {
  try {
    return await store.swap(current, next);
  } catch (err) {
    const now = await store.read().catch(() => undefined);
    if (now === undefined) {
      throw new MapUnknownError(
        `etcd did not confirm the map switch (${String(err)}); the partition stays fenced: run the move again, or \`unfence\` it if the map still names the source`,
      );
    }
    if (now.map.version === next.version && now.map.assignments.every((s, p) => s === next.assignments[p])) return true;
    if (now.raw === current.raw) throw err;
    return false;
  }
}

/** `fn` with a client inside one read-only REPEATABLE READ snapshot: every table as of one instant. */
async function inSnapshot<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(pool, fn, { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' });
}

async function maxOutboxId(db: Pick<pg.Pool, 'query'>): Promise<string | null> {
  const { rows } = await db.query<{ max: string | null }>('SELECT max(id)::text AS max FROM outbox');
  return rows[0]?.max ?? null;
}

/** Waits until every outbox row up to `maxId` is published; false on timeout. */
async function drainOutbox(pool: pg.Pool, maxId: string | null, timeoutMs: number): Promise<boolean> {
  if (maxId === null) return true;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ left: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL AND id <= $1) AS left',
      [maxId],
    );
    if (rows[0]?.left !== true) return true;
    if (performance.now() >= deadline) return false;
    await sleep(50);
  }
}

/** Lifts a fence left by a move that failed after fencing (the map still names that shard). */
export async function unfencePartition(
  primaries: readonly pg.Pool[],
  store: Pick<ShardMapStore, 'read'>,
  partition: number,
): Promise<number> {
  const current = await store.read();
  const owner = current?.map.assignments[partition];
  if (owner === undefined) throw new PartitionMoveError(`no partition ${partition} in the shard map`);
  const { rowCount } = await primaries[owner]!.query('DELETE FROM partition_fences WHERE partition = $1', [partition]);
  return rowCount ?? 0;
}
