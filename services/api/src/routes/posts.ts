import { AppError, CommonErrors } from '@sdl/errors';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  CreatePostSchema,
  PostPageSchema,
  PostSchema,
  ViewsSchema,
  decodeCursor,
  type CreatePostInput,
} from '../domain/posts/post.js';
import type { PostService } from '../domain/posts/post-service.js';
import { ApiErrors } from '../errors.js';
import type { ViewCounter } from '../cache/write-back/view-counter.js';
import { AccountParamsSchema, PostParamsSchema, checkAccountId, checkPostId, explain } from './params.js';
import { idempotencyOf, markReplayed } from '../idempotency/idempotency-key.js';

export interface PostRoutesOptions {
  readonly posts: PostService;
  readonly views: ViewCounter;
  readonly viewsMode: string;
}

// Query strings are strings (the ajv does not coerce): the limit is checked as digits, then ranged.
const ListQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
const DEFAULT_LIMIT = 20;

type AccountParams = { accountId: string };
type PostParams = { accountId: string; postId: string };

/** Posts under their account (the account id is the shard key) and their view counters. */
export async function postRoutes(app: FastifyInstance, options: PostRoutesOptions): Promise<void> {
  const { posts, views, viewsMode } = options;

  app.post<{ Params: AccountParams; Body: CreatePostInput }>(
    '/v1/accounts/:accountId/posts',
    { schema: { params: AccountParamsSchema, body: CreatePostSchema, response: { 201: PostSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const result = await posts.create(accountId, req.body, idempotencyOf(req));
      explain(reply, result.route, result.cache, posts.cacheMode);
      markReplayed(reply, result.replayed === true);
      const location = `/v1/accounts/${accountId}/posts/${result.post.id}`;
      return reply.status(201).header('location', location).send(result.post);
    },
  );

  app.get<{ Params: AccountParams; Querystring: { limit?: string; cursor?: string } }>(
    '/v1/accounts/:accountId/posts',
    { schema: { params: AccountParamsSchema, querystring: ListQuerySchema, response: { 200: PostPageSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const limit = req.query.limit === undefined ? DEFAULT_LIMIT : Number(req.query.limit);
      if (limit < 1 || limit > 100) {
        throw new AppError(CommonErrors.validation, {
          message: 'limit must be 1..100',
          details: { limit: req.query.limit },
        });
      }
      let after: string | undefined;
      if (req.query.cursor !== undefined) {
        after = decodeCursor(req.query.cursor);
        if (after === undefined) throw new AppError(ApiErrors.invalidCursor);
      }
      const { page, route } = await posts.list(accountId, limit, after);
      explain(reply, route, 'bypass', posts.cacheMode);
      return page;
    },
  );

  app.get<{ Params: PostParams }>(
    '/v1/accounts/:accountId/posts/:postId',
    { schema: { params: PostParamsSchema, response: { 200: PostSchema } } },
    async (req, reply) => {
      const result = await posts.get(checkAccountId(req.params.accountId), checkPostId(req.params.postId));
      explain(reply, result.route, result.cache, posts.cacheMode);
      return result.post;
    },
  );

  app.post<{ Params: PostParams }>(
    '/v1/accounts/:accountId/posts/:postId/views',
    { schema: { params: PostParamsSchema } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const path = await views.increment(accountId, checkPostId(req.params.postId));
      explain(reply, posts.route(accountId), path === 'redis' ? 'miss' : 'bypass', viewsMode);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: PostParams }>(
    '/v1/accounts/:accountId/posts/:postId/views',
    { schema: { params: PostParamsSchema, response: { 200: ViewsSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const postId = checkPostId(req.params.postId);
      const result = await views.read(accountId, postId);
      explain(reply, posts.route(accountId), result.cache, viewsMode);
      return { postId, views: result.views };
    },
  );
}
