/** What one algorithm decides for one key. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Cost units still available in the current window (never negative). */
  readonly remaining: number;
  /** Milliseconds until the client may expect capacity again. */
  readonly resetMs: number;
}

/**
 * A rate limiting strategy over a shared store. Fixed window is the first; token bucket, GCRA and
 * the sliding log/counter implement the same interface so the limiter can switch between them by
 * name. `check` throws when the store fails; the caller applies its fail mode.
 */
export interface RateLimitAlgorithm {
  readonly name: string;
  check(key: string, limit: number, windowMs: number, cost: number): Promise<RateLimitDecision>;
}
