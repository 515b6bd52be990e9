export { createRedlock, Redlock, type AcquireOptions, type Lock, type RedlockOptions } from './redlock.js';
export { createLockKeeper, LockKeeper, type LockKeeperOptions, type LockLossReason } from './lock-keeper.js';
export { LockErrors } from './lock-errors.js';
