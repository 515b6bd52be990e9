import { AppError } from '@sdl/errors';
import { ApiErrors } from '../../errors.js';
import { appendOutboxEvent } from '../../outbox/outbox-store.js';
import type { Post } from './post.js';
import type { ReadRouting } from '../../cache/read-through.js';
import type { ShardRoute } from '../../sharding/shard-router.js';
import type { ShardPools } from '../../db/shard-pools.js';
import { createOnce, onKeyConflict, type Created, type KeyScope } from '../../idempotency/create-once.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-key.js';

interface PostRow {
  id: string;
  account_id: string;
  title: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, account_id, title, body, created_at, updated_at';
const KEYS: KeyScope = { table: 'posts', owner: 'account_id' };

function toPost(row: PostRow): Post {
  return {
    id: row.id,
    accountId: row.account_id,
    title: row.title,
    body: row.body,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Per post and flush: how many views to add. */
export interface ViewDelta {
  readonly accountId: string;
  readonly postId: string;
  readonly delta: number;
  /** The account's partition (the write guard fences partitions being moved). */
  readonly partition: number;
}

/** Posts on their account's shard (the route is the account's). */
export class PostRepository {
  readonly #shards: ShardPools;

  constructor(shards: ShardPools) {
    this.#shards = shards;
  }

  /** A new post, or with an Idempotency-Key the one an earlier try made (no second event). */
  async create(
    route: ShardRoute,
    input: { id: string; accountId: string; title: string; body: string },
    request?: IdempotentRequest,
  ): Promise<Created<Post>> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'post_create', async (client) => {
      const insert = async (): Promise<PostRow | undefined> => {
        try {
          const { rows } = await client.query<PostRow>(
            `INSERT INTO posts (id, account_id, partition, title, body, idempotency_key, request_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ${onKeyConflict(KEYS)} RETURNING ${COLUMNS}`,
            [input.id, input.accountId, route.partition, input.title, input.body, request?.key, request?.hash],
          );
          return rows[0];
        } catch (err) {
          // 23503 foreign_key_violation: the account does not exist (on its own shard).
          if ((err as { code?: unknown }).code === '23503') {
            throw new AppError(ApiErrors.accountNotFound, { details: { id: input.accountId } });
          }
          throw err;
        }
      };
      return createOnce({
        client,
        request,
        scope: KEYS,
        ownerValue: input.accountId,
        columns: COLUMNS,
        insert,
        toValue: toPost,
        event: { aggregateType: 'post', eventType: 'post.created' },
      });
    });
  }

  /** Where a read of this route may go now (see ShardPools.readTarget). */
  readRouting(route: ShardRoute): ReadRouting {
    const staleOk = this.#shards.partitionMode === 'availability';
    return { target: this.#shards.readTarget(route.shard), scopes: this.#shards.scopes, staleOk };
  }

  /** `replicaOk`: the shard's replica may answer (when it has replayed the request's token). */
  async findById(route: ShardRoute, accountId: string, id: string, replicaOk = false): Promise<Post | undefined> {
    return this.#shards.read(route.shard, 'post_get', replicaOk, async (client) => {
      const { rows } = await client.query<PostRow>(`SELECT ${COLUMNS} FROM posts WHERE id = $1 AND account_id = $2`, [
        id,
        accountId,
      ]);
      return rows[0] === undefined ? undefined : toPost(rows[0]);
    });
  }

  /** Newest first; `before` is the last id of the previous page (ULIDs sort by creation time). */
  async listByAccount(route: ShardRoute, accountId: string, limit: number, before?: string): Promise<Post[]> {
    return this.#shards.read(route.shard, 'post_list', true, async (client) => {
      const { rows } = await client.query<PostRow>(
        `SELECT ${COLUMNS} FROM posts WHERE account_id = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
        [accountId, before ?? null, limit],
      );
      return rows.map(toPost);
    });
  }

  async accountExists(route: ShardRoute, accountId: string): Promise<boolean> {
    return this.#shards.read(route.shard, 'account_exists', true, async (client) => {
      const { rowCount } = await client.query('SELECT 1 FROM accounts WHERE id = $1', [accountId]);
      return (rowCount ?? 0) > 0;
    });
  }

  /** The stored count, or undefined when the post does not exist. */
  async viewCount(route: ShardRoute, accountId: string, id: string): Promise<number | undefined> {
    return this.#shards.withClient(route.shard, 'views_get', async (client) => {
      const { rows } = await client.query<{ view_count: string }>(
        'SELECT view_count FROM posts WHERE id = $1 AND account_id = $2',
        [id, accountId],
      );
      return rows[0] === undefined ? undefined : Number(rows[0].view_count);
    });
  }

  /**
   * Adds view deltas to one shard's posts in one transaction, with one `post.views_added` event
   * per post (the flush is the state change, not each view). Returns the deltas that hit a post.
   */
  async addViews(shard: number, deltas: readonly ViewDelta[]): Promise<number> {
    const partitions = [...new Set(deltas.map((d) => d.partition))];
    return this.#shards.partitionTransaction(shard, partitions, 'views_flush', async (client) => {
      const { rows } = await client.query<{ id: string; account_id: string; view_count: string }>(
        `UPDATE posts p SET view_count = p.view_count + v.n
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(id, account_id, n)
          WHERE p.id = v.id AND p.account_id = v.account_id
          RETURNING p.id, p.account_id, p.view_count`,
        [deltas.map((d) => d.postId), deltas.map((d) => d.accountId), deltas.map((d) => d.delta)],
      );
      for (const row of rows) {
        const delta = deltas.find((d) => d.postId === row.id)?.delta ?? 0;
        await appendOutboxEvent(client, {
          aggregateType: 'post',
          aggregateId: row.id,
          eventType: 'post.views_added',
          payload: { postId: row.id, accountId: row.account_id, delta, views: Number(row.view_count) },
        });
      }
      return rows.length;
    });
  }
}

export function createPostRepository(shards: ShardPools): PostRepository {
  return new PostRepository(shards);
}
