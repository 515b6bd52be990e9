import type { ErrorSpec } from '@sdl/errors';

/** The api's own stable codes; the common ones (ERR_VALIDATION, ...) come from @sdl/errors. */
export const ApiErrors = {
  invalidId: { code: 'API_ERR_INVALID_ID', statusCode: 400, message: 'id is not a valid account id' },
  invalidPostId: { code: 'API_ERR_INVALID_POST_ID', statusCode: 400, message: 'id is not a valid post id' },
  invalidSubscriptionId: {
    code: 'API_ERR_INVALID_SUBSCRIPTION_ID',
    statusCode: 400,
    message: 'id is not a valid subscription id',
  },
  invalidCursor: { code: 'API_ERR_INVALID_CURSOR', statusCode: 400, message: 'cursor is not one this api issued' },
  // The caller did not present the gateway's shared secret (GATEWAY_SECRET): it bypassed the edge.
  notFromGateway: {
    code: 'API_ERR_NOT_FROM_GATEWAY',
    statusCode: 401,
    message: 'requests must come through the gateway',
  },
  // Partition moves on the admin listener (src/sharding/move-routes.ts).
  moveNeedsEtcd: {
    code: 'API_ERR_MOVE_NEEDS_ETCD',
    statusCode: 503,
    message: 'partition moves need the shard map in etcd',
  },
  badMove: { code: 'API_ERR_BAD_MOVE', statusCode: 400, message: 'no such partition or shard' },
  moveInProgress: {
    code: 'API_ERR_MOVE_IN_PROGRESS',
    statusCode: 409,
    message: 'a partition move is running on this node',
  },
  alreadyOnShard: {
    code: 'API_ERR_ALREADY_ON_SHARD',
    statusCode: 409,
    message: 'the partition is already on that shard',
  },
  invalidTenant: { code: 'API_ERR_INVALID_TENANT', statusCode: 400, message: 'x-tenant-id is not a valid tenant' },
  accountNotFound: { code: 'API_ERR_ACCOUNT_NOT_FOUND', statusCode: 404, message: 'account not found' },
  postNotFound: { code: 'API_ERR_POST_NOT_FOUND', statusCode: 404, message: 'post not found' },
  subscriptionNotFound: {
    code: 'API_ERR_SUBSCRIPTION_NOT_FOUND',
    statusCode: 404,
    message: 'subscription not found',
  },
  subscriptionExists: {
    code: 'API_ERR_SUBSCRIPTION_EXISTS',
    statusCode: 409,
    message: 'the account already has an active subscription',
  },
  subscriptionCanceled: {
    code: 'API_ERR_SUBSCRIPTION_CANCELED',
    statusCode: 409,
    message: 'the subscription is already canceled',
  },
  invalidIdempotencyKey: {
    code: 'API_ERR_INVALID_IDEMPOTENCY_KEY',
    statusCode: 400,
    message: 'Idempotency-Key must be one header of 1 to 255 visible ASCII characters',
  },
  // Stripe answers the same case with 400; 422 says the request is well formed but conflicts
  // with what the key already stands for.
  idempotencyKeyReused: {
    code: 'API_ERR_IDEMPOTENCY_KEY_REUSED',
    statusCode: 422,
    message: 'this Idempotency-Key was used with a different request',
  },
  unknownPlan: { code: 'API_ERR_UNKNOWN_PLAN', statusCode: 422, message: 'no such plan in the catalogue' },
  shardUnavailable: {
    code: 'API_ERR_SHARD_UNAVAILABLE',
    statusCode: 503,
    message: 'the shard holding this data is unavailable',
    retriable: true,
  },
  partitionMoving: {
    code: 'API_ERR_PARTITION_MOVING',
    statusCode: 503,
    message: 'the partition holding this data is being moved to another shard; retry shortly',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;

/**
 * A write reached a shard that has given the partition away (see 004_partition_fences.sql). Never
 * reaches a client as such: ShardRouter.write re-reads the map and retries on the new shard, or
 * answers API_ERR_PARTITION_MOVING.
 */
export class PartitionMovedError extends Error {
  readonly shard: number;
  readonly partitions: readonly number[];

  constructor(shard: number, partitions: readonly number[]) {
    super(`shard ${shard} no longer holds partition(s) ${partitions.join(', ')}`);
    this.name = 'PartitionMovedError';
    this.shard = shard;
    this.partitions = partitions;
  }
}
