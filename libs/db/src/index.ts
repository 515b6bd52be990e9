export { withTransaction, type TransactionOptions, type TransactionTarget } from './transaction.js';
export { createShardPool, type ShardPoolOptions } from './pool.js';
export {
  createRepointablePools,
  RepointablePools,
  type RepointablePoolsOptions,
  type Repointed,
} from './repointable-pools.js';
export {
  createShardEndpointStore,
  endpointOf,
  parseShardEndpoint,
  SHARD_ENDPOINTS_PREFIX,
  ShardEndpointError,
  ShardEndpointStore,
  withEndpoint,
  type EndpointSource,
  type ShardEndpoint,
  type ShardEndpointStoreOptions,
} from './shard-endpoints.js';
export { followShardEndpoints, type FollowerLogger, type FollowShardEndpointsOptions } from './endpoint-follower.js';
