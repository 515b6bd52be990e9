/** Exponential backoff with jitter, like etcd3's `backoff/exponential.ts`. */
export interface BackoffOptions {
  /** First delay, ms (default 100). */
  readonly minMs?: number;
  /** Largest delay, ms (default 10000). */
  readonly maxMs?: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /**
   * Random share of each delay, 0..1 (default 0.2): a delay d becomes d * (1 - jitter * random()),
   * so many clients that failed together do not retry together.
   */
  readonly jitter?: number;
}

/** A backoff sequence: `next()` returns the delay to wait now and grows it; `reset()` after a success. */
export interface Backoff {
  next(): number;
  reset(): void;
}

/** Exponential backoff: minMs, minMs x factor, ... up to maxMs, each shortened by up to `jitter`. */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const min = options.minMs ?? 100;
  const max = Math.max(min, options.maxMs ?? 10_000);
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  let current = min;
  return {
    next() {
      const delay = current * (1 - jitter * Math.random());
      current = Math.min(max, current * factor);
      return Math.round(delay);
    },
    reset() {
      current = min;
    },
  };
}
