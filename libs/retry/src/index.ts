export { createBackoff, type Backoff, type BackoffOptions } from './backoff.js';
export { retry, type RetryOptions } from './retry.js';
export { untilAborted } from './until-aborted.js';
