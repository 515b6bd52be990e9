import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { ApiErrors } from '../errors.js';
import { movePartition, type MovePartitionOptions, type MoveReport } from './partition-move.js';
import type { ShardMapStore } from './shard-map-store.js';

export const MoveBodySchema = Type.Object(
  { partition: Type.Integer({ minimum: 0 }), toShard: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
type MoveBody = Static<typeof MoveBodySchema>;

/** One move started here, as `GET /admin/partition-moves` shows it. */
export interface MoveRecord {
  readonly id: number;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly startedAt: string;
  state: 'running' | 'done' | 'failed';
  finishedAt?: string;
  report?: MoveReport;
  error?: { code: string; message: string };
}

export interface MoveRoutesOptions {
  /** A pool per shard primary (index = shard). */
  readonly primaries: readonly pg.Pool[];
  /** The shard map in etcd; undefined without etcd (the map is static then: 503). */
  readonly store: Pick<ShardMapStore, 'read' | 'swap'> | undefined;
  readonly partitions: number;
  readonly logger: Logger;
  /** The move itself (tests stand a fake in). */
  readonly move?: (options: MovePartitionOptions) => Promise<MoveReport>;
}

const KEPT = 20;

/**
 * Partition moves on the api's admin listener (the console's "move a partition"; `./lab shard move`
 * runs the same movePartition in a one-off process): `POST /admin/partition-moves
 * {"partition":5,"toShard":1}` answers 202 at once with the move, which runs in this node;
 * `GET /admin/partition-moves` lists the last 20 started here, newest first, with their outcome.
 * One at a time per node (409 API_ERR_MOVE_IN_PROGRESS); moves started elsewhere at the same time
 * are settled by the map's compare-and-swap in etcd (one fails, nothing is lost).
 */
export async function moveRoutes(app: FastifyInstance, options: MoveRoutesOptions): Promise<void> {
  const log = options.logger.child({ component: 'partition-moves' });
  const move = options.move ?? movePartition;
  const moves: MoveRecord[] = [];
  let running: Promise<void> | undefined;
  let nextId = 1;

  app.get('/admin/partition-moves', async () => ({ moves }));

  app.post<{ Body: MoveBody }>('/admin/partition-moves', { schema: { body: MoveBodySchema } }, async (req, reply) => {
    const { partition, toShard } = req.body;
    const { store } = options;
    if (store === undefined) throw new AppError(ApiErrors.moveNeedsEtcd);
    if (partition >= options.partitions)
      throw new AppError(ApiErrors.badMove, { message: `partition must be 0..${options.partitions - 1}` });
    if (toShard >= options.primaries.length)
      throw new AppError(ApiErrors.badMove, { message: `toShard must be 0..${options.primaries.length - 1}` });
    if (running !== undefined) {
      throw new AppError(ApiErrors.moveInProgress, {
        message: `partition ${moves[0]?.partition} is moving (move ${moves[0]?.id}); one move at a time per node`,
      });
    }
    const found = await store.read();
    const from = found?.map.assignments[partition];
    if (from === undefined) throw new AppError(ApiErrors.moveNeedsEtcd, { message: 'no shard map in etcd yet' });
    if (from === toShard)
      throw new AppError(ApiErrors.alreadyOnShard, { message: `partition ${partition} is on shard ${toShard}` });

    const record: MoveRecord = {
      id: nextId++,
      partition,
      from,
      to: toShard,
      startedAt: new Date().toISOString(),
      state: 'running',
    };
    moves.unshift(record);
    moves.length = Math.min(moves.length, KEPT);
    log.warn({ move: record.id, partition, from, to: toShard }, 'partition move started');
    running = move({ primaries: options.primaries, store, partition, to: toShard, logger: log })
      .then(
        (report) => {
          Object.assign(record, { state: 'done', report, finishedAt: new Date().toISOString() });
          log.warn({ move: record.id, partition, fenceMs: report.fenceMs }, 'partition move done');
        },
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          record.error = {
            code: typeof code === 'string' ? code : 'SHARD_ERR_MOVE_FAILED',
            message: String((err as Error)?.message ?? err),
          };
          Object.assign(record, { state: 'failed', finishedAt: new Date().toISOString() });
          log.error({ err, move: record.id, partition }, 'partition move failed');
        },
      )
      .finally(() => {
        running = undefined;
      });
    return reply.status(202).send(record);
  });

  // A node shutting down lets its move finish (or fail) before the pools close.
  app.addHook('onClose', async () => {
    await running;
  });
}
