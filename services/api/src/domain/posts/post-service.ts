import { AppError } from '@sdl/errors';
import { createPrefixedId } from '../ids.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-key.js';
import type { CacheResult, EntityCache } from '../../cache/entity-cache.js';
import { ApiErrors } from '../../errors.js';
import { encodeCursor, postCacheId, type CreatePostInput, type Post, type PostPage } from './post.js';
import type { PostRepository } from './post-repository.js';
import { explainHeaders, readThrough, type Loaded } from '../../cache/read-through.js';
import type { ShardRoute, ShardRouter } from '../../sharding/shard-router.js';
import { createSingleFlight } from '../../cache/single-flight.js';

export interface PostResult {
  readonly post: Post;
  readonly route: ShardRoute;
  readonly cache: CacheResult;
  /** An idempotent create answered from the row an earlier try made. */
  readonly replayed?: boolean;
}

export interface PostServiceDeps {
  readonly router: ShardRouter;
  readonly repository: PostRepository;
  readonly cache: EntityCache<Post>;
}

/**
 * Posts: the shard key is the account id (every post route names it), so a post is always on its
 * account's shard. Cache: write-around by default (write the database, drop the key) and
 * read-through with single-flight and negative caching on get.
 */
export class PostService {
  readonly #router: ShardRouter;
  readonly #repository: PostRepository;
  readonly #cache: EntityCache<Post>;
  readonly #flight = createSingleFlight<Loaded<Post>>();

  constructor(deps: PostServiceDeps) {
    this.#router = deps.router;
    this.#repository = deps.repository;
    this.#cache = deps.cache;
  }

  get cacheMode(): string {
    return this.#cache.mode;
  }

  route(accountId: string): ShardRoute {
    return this.#router.route(accountId);
  }

  /** With an Idempotency-Key, a retry answers the post the first try made (the key is per account). */
  async create(accountId: string, input: CreatePostInput, request?: IdempotentRequest): Promise<PostResult> {
    const id = createPrefixedId('pst');
    const post = { id, accountId, title: input.title, body: input.body };
    const { created, route } = await this.#router.write(accountId, async (route) => ({
      created: await this.#repository.create(route, post, request),
      route,
    }));
    if (!created.replayed) await this.#cache.afterWrite(created.value);
    return { post: created.value, route, cache: 'bypass', replayed: created.replayed };
  }

  /** `primaryOnly`: a write path checking existence must not trust a lagging replica. */
  async get(accountId: string, id: string, options: { primaryOnly?: boolean } = {}): Promise<PostResult> {
    const route = this.#router.route(accountId);
    const key = postCacheId(accountId, id);
    const { value, cache } = await readThrough(
      this.#cache,
      this.#flight,
      key,
      (replicaOk) => this.#repository.findById(route, accountId, id, replicaOk),
      options.primaryOnly === true ? undefined : this.#repository.readRouting(route),
    );
    if (value === undefined) {
      throw new AppError(ApiErrors.postNotFound, { details: { accountId, id }, headers: explainHeaders(route, cache) });
    }
    return { post: value, route, cache };
  }

  /** One page, newest first; the account must exist (an empty list would hide a typo). */
  async list(accountId: string, limit: number, after?: string): Promise<{ page: PostPage; route: ShardRoute }> {
    const route = this.#router.route(accountId);
    // One row more than asked tells whether a next page exists without a count query.
    const rows = await this.#repository.listByAccount(route, accountId, limit + 1, after);
    if (rows.length === 0 && !(await this.#repository.accountExists(route, accountId))) {
      throw new AppError(ApiErrors.accountNotFound, { details: { id: accountId } });
    }
    const items = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null;
    return { page: { items, nextCursor }, route };
  }
}

export function createPostService(deps: PostServiceDeps): PostService {
  return new PostService(deps);
}
