export { withTransaction, type TransactionOptions, type TransactionTarget } from './transaction.js';
export { createShardPool, type ShardPoolOptions } from './pool.js';
