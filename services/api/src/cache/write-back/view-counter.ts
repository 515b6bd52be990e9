import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import { loadRedisScript, type Redis } from '@sdl/redis';
import { ApiErrors, PartitionMovedError } from '../../errors.js';
import { reportWriteBackBacklog } from '../cache-modes.js';
import type { PostRepository, ViewDelta } from '../../domain/posts/post-repository.js';
import type { PostService } from '../../domain/posts/post-service.js';
import type { ShardRouter } from '../../sharding/shard-router.js';

export type ViewsMode = 'write-back' | 'off';

export interface ViewCounterOptions {
  readonly mode: ViewsMode;
  readonly redis: Redis | null;
  readonly nodeId: string;
  readonly router: ShardRouter;
  readonly posts: PostService;
  readonly repository: PostRepository;
  readonly logger: Logger;
  readonly registry: Registry;
}

const takePending = loadRedisScript(
  'views-take-pending',
  new URL('../../../src/cache/write-back/scripts/', import.meta.url),
);

/** Pending increments of every node: field `<accountId>:<postId>`, value = views not yet in Postgres. */
export const DIRTY_KEY = 'views:dirty';

/**
 * View counters, write-back: an increment is one HINCRBY in Redis; `flush()` (every VIEWS_FLUSH_MS
 * and at shutdown) moves the pending hash aside with an atomic RENAME, so each increment is
 * taken by exactly one node's flush, and adds the deltas to Postgres, one transaction per shard.
 * Loss bound: a Redis crash loses the increments since the last flush (one interval); an api
 * crash loses nothing (its moved-aside hash is named after NODE_ID and retried when it restarts).
 * A crash between a shard's commit and the HDEL of its fields counts that batch twice.
 * With Redis down (or mode `off`) an increment is one UPDATE on the post's shard.
 * Reads are Postgres + the pending hash: a read that overlaps a flush can briefly miss (or count
 * twice) the batch in flight, which the counter tolerates (staleness-tolerant by design).
 */
export class ViewCounter {
  readonly #o: ViewCounterOptions;
  readonly #redis: Redis | null;
  readonly #log: Logger;
  readonly #increments: Counter<'path'>;
  readonly #flushed: Counter<'result'>;

  constructor(options: ViewCounterOptions) {
    this.#o = options;
    this.#redis = options.mode === 'off' ? null : options.redis;
    this.#log = options.logger.child({ component: 'views' });
    this.#increments = new Counter({
      name: 'api_view_increments_total',
      help: 'View increments by path (redis = written back later, direct = straight to Postgres)',
      labelNames: ['path'] as const,
      registers: [options.registry],
    });
    this.#flushed = new Counter({
      name: 'api_view_flush_posts_total',
      help: 'Per-post view deltas written back to Postgres (result: ok, error)',
      labelNames: ['result'] as const,
      registers: [options.registry],
    });
    reportWriteBackBacklog({
      registry: options.registry,
      redis: this.#redis,
      entity: 'post_views',
      dirtyKey: DIRTY_KEY,
      flushingKey: this.flushingKey,
    });
  }

  get flushingKey(): string {
    return `views:flushing:${this.#o.nodeId}`;
  }

  /** Counts one view; 'redis' when written back later, 'direct' when Postgres took it now. */
  async increment(accountId: string, postId: string): Promise<'redis' | 'direct'> {
    // The post must exist (read-through, negatively cached): no counters for ids nobody created.
    await this.#o.posts.get(accountId, postId, { primaryOnly: true });
    if (this.#redis !== null) {
      try {
        await this.#redis.hincrby(DIRTY_KEY, `${accountId}:${postId}`, 1);
        this.#increments.inc({ path: 'redis' });
        return 'redis';
      } catch (err) {
        this.#log.debug({ err }, 'view increment falls back to Postgres');
      }
    }
    const hit = await this.#o.router.write(accountId, (route) =>
      this.#o.repository.addViews(route.shard, [{ accountId, postId, delta: 1, partition: route.partition }]),
    );
    if (hit === 0) throw new AppError(ApiErrors.postNotFound, { details: { accountId, id: postId } });
    this.#increments.inc({ path: 'direct' });
    return 'direct';
  }

  /** Postgres' count plus what is pending in Redis; `bypass` when Redis did not answer. */
  async read(accountId: string, postId: string): Promise<{ views: number; cache: 'miss' | 'bypass' }> {
    const route = this.#o.router.route(accountId);
    const stored = await this.#o.repository.viewCount(route, accountId, postId);
    if (stored === undefined) throw new AppError(ApiErrors.postNotFound, { details: { accountId, id: postId } });
    if (this.#redis === null) return { views: stored, cache: 'bypass' };
    try {
      const pending = await this.#redis.hget(DIRTY_KEY, `${accountId}:${postId}`);
      return { views: stored + Number(pending ?? 0), cache: 'miss' };
    } catch {
      return { views: stored, cache: 'bypass' };
    }
  }

  /** Writes pending increments back to Postgres; returns how many posts were updated. */
  async flush(): Promise<number> {
    const redis = this.#redis;
    if (redis === null) return 0;
    // A hash left by an earlier failed flush (or by this node before a crash) goes first.
    if ((await redis.exists(this.flushingKey)) === 0) {
      if ((await takePending.run(redis, [DIRTY_KEY, this.flushingKey], [])) === 0) return 0;
    }
    const pending = await redis.hgetall(this.flushingKey);
    const byShard = new Map<number, ViewDelta[]>();
    for (const [field, value] of Object.entries(pending)) {
      const [accountId, postId] = field.split(':');
      const delta = Number(value);
      if (accountId === undefined || postId === undefined || !Number.isSafeInteger(delta)) continue;
      const { shard, partition } = this.#o.router.route(accountId);
      byShard.set(shard, [...(byShard.get(shard) ?? []), { accountId, postId, delta, partition }]);
    }
    let updated = 0;
    let failed = false;
    for (const [shard, deltas] of byShard) {
      try {
        updated += await this.#o.repository.addViews(shard, deltas);
        // Only the applied fields leave Redis; a failed shard's stay for the next flush.
        await redis.hdel(this.flushingKey, ...deltas.map((d) => `${d.accountId}:${d.postId}`));
        this.#flushed.inc({ result: 'ok' }, deltas.length);
      } catch (err) {
        failed = true;
        this.#flushed.inc({ result: 'error' }, deltas.length);
        // A partition moved away: read the new map now, so the next flush goes to the new shard.
        if (err instanceof PartitionMovedError) await this.#o.router.refresh().catch(() => false);
        this.#log.warn({ err, shard, posts: deltas.length }, 'view flush failed for a shard; retrying next interval');
      }
    }
    // Fields of no known shape would otherwise pin the hash forever; a failed shard's must stay.
    if (!failed) await redis.del(this.flushingKey);
    return updated;
  }
}

export function createViewCounter(options: ViewCounterOptions): ViewCounter {
  return new ViewCounter(options);
}
