/** What one algorithm decides for one key. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Cost units still available now (never negative). */
  readonly remaining: number;
  /** Milliseconds until the client may expect capacity again. */
  readonly resetMs: number;
}

/** One check's parameters: at most `limit` units per `windowMs`, `burst` at once where the algorithm has a notion of it. */
export interface CheckParams {
  readonly limit: number;
  readonly windowMs: number;
  /** Bucket capacity for token bucket and GCRA (defaults to `limit`); ignored by the window algorithms. */
  readonly burst: number;
  readonly cost: number;
}

/**
 * A rate limiting strategy over a shared store: fixed window, token bucket, GCRA and the sliding
 * log/counter implement it, so a rule switches between them by name. `check` throws when the store
 * fails; the caller applies its fail mode.
 */
export interface RateLimitAlgorithm {
  readonly name: AlgorithmName;
  check(key: string, params: CheckParams): Promise<RateLimitDecision>;
}

export const ALGORITHM_NAMES = ['token-bucket', 'gcra', 'fixed-window', 'sliding-log', 'sliding-counter'] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];
