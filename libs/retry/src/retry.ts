import { setTimeout as sleep } from 'node:timers/promises';
import { createBackoff, type BackoffOptions } from './backoff.js';

export interface RetryOptions extends BackoffOptions {
  /** Stops retrying (and waiting) at once; `retry` then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Attempts in all, the first included (default Infinity: until it succeeds or the signal aborts). */
  readonly attempts?: number;
  /** Whether this error is worth another attempt (default: every error is). A false rethrows it. */
  readonly shouldRetry?: (err: unknown) => boolean;
  /** Called before each wait: log it here (`attempt` counts from 1, the one that just failed). */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it resolves, waiting a growing, jittered delay after each failure (see
 * BackoffOptions for the defaults). The one retry loop of the project: every background
 * reconnect (etcd registration, shard map, Kafka subscription, shard migration) goes through it,
 * so each can be aborted by shutdown, including during its wait.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const backoff = createBackoff(options);
  const attempts = options.attempts ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (attempt >= attempts || options.shouldRetry?.(err) === false) throw err;
      const delay = backoff.next();
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}
