export { withTransaction, type TransactionOptions, type TransactionTarget } from './transaction.js';
