import { AppError } from '@sdl/errors';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { explainHeaders } from '../cache/read-through.js';
import { isAccountId, POST_ID_PATTERN, SUBSCRIPTION_ID_PATTERN } from '../domain/ids.js';
import { ApiErrors } from '../errors.js';
import type { ShardRoute } from '../sharding/shard-router.js';

// Ids are checked by hand, not by a params pattern: a malformed id has its own stable code.
// The length cap still comes first so that megabyte-long ids never reach a regex.
const Id = Type.String({ minLength: 1, maxLength: 64 });

export const AccountParamsSchema = Type.Object({ accountId: Id }, { additionalProperties: false });
export const PostParamsSchema = Type.Object({ accountId: Id, postId: Id }, { additionalProperties: false });
export const SubscriptionParamsSchema = Type.Object(
  { accountId: Id, subscriptionId: Id },
  { additionalProperties: false },
);

export function checkAccountId(id: string): string {
  if (!isAccountId(id)) throw new AppError(ApiErrors.invalidId, { details: { id } });
  return id;
}

export function checkPostId(id: string): string {
  if (!POST_ID_PATTERN.test(id)) throw new AppError(ApiErrors.invalidPostId, { details: { id } });
  return id;
}

export function checkSubscriptionId(id: string): string {
  if (!SUBSCRIPTION_ID_PATTERN.test(id)) throw new AppError(ApiErrors.invalidSubscriptionId, { details: { id } });
  return id;
}

/** Sets the explainability headers (see explainHeaders) on a reply. */
export function explain(reply: FastifyReply, route: ShardRoute, cache: string, mode?: string): void {
  void reply.headers(explainHeaders(route, cache, mode));
}
