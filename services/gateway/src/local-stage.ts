/** What the global limiter last said about a key, as far as the local stage needs it. */
export interface GlobalHint {
  /** The global rule's name, reused as the policy name when the local stage denies. */
  readonly policy: string;
  readonly allowed: boolean;
  readonly limit: number;
  readonly windowMs: number;
  readonly resetMs: number;
}

export type LocalVerdict = { readonly pass: true } | {
      readonly pass: false;
      readonly retryMs: number;
      readonly policy: string;
      readonly limit: number;
      readonly windowMs: number;
    };

export interface LocalStage {
  /** Takes one token if the key's bucket is known; unknown keys always pass (the global stage decides). */
  take(key: string, now: number): LocalVerdict;
  /** Sizes the key's bucket from a global answer; a global denial blocks the key locally until its reset. */
  learn(key: string, hint: GlobalHint, now: number): void;
}

interface Bucket {
  policy: string;
  limit: number;
  windowMs: number;
  tokens: number;
  at: number;
  blockedUntil: number;
}

/**
 * The gateway-local first stage: one token bucket per key (capacity = the global rule's limit,
 * refill = limit per window), plus the global stage's last denial cached until its reset.
 *
 * It only ever denies, never admits on its own: every request it passes still goes to the global
 * limiter, so with the global limiter reachable the cluster admits no more than the global
 * algorithm's own bound whatever the number N of gateways (slack 0). What it buys is that a client
 * hammering past its limit costs no ratelimiter or Redis call until its reset. When the global
 * limiter is down and the gateway fails open, the local buckets are the only limit: at most
 * N x (limit + limit x t / window) per key over any t (so 2N x limit per window).
 * Keys are bounded (oldest dropped first) so a flood of distinct keys cannot grow memory.
 */
export function createLocalStage(options: { maxKeys: number }): LocalStage {
  const buckets = new Map<string, Bucket>();
  return {
    take(key, now) {
      const b = buckets.get(key);
      if (b === undefined) return { pass: true };
      if (now < b.blockedUntil) return { pass: false, retryMs: b.blockedUntil - now, policy: b.policy, limit: b.limit, windowMs: b.windowMs };
      b.tokens = Math.min(b.limit, b.tokens + ((now - b.at) * b.limit) / b.windowMs);
      b.at = now;
      if (b.tokens < 1) {
        const retryMs = Math.ceil(((1 - b.tokens) * b.windowMs) / b.limit);
        return { pass: false, retryMs, policy: b.policy, limit: b.limit, windowMs: b.windowMs };
      }
      b.tokens -= 1;
      return { pass: true };
    },
    learn(key, hint, now) {
      if (hint.limit <= 0 || hint.windowMs <= 0) return;
      let b = buckets.get(key);
      if (b === undefined || b.limit !== hint.limit || b.windowMs !== hint.windowMs) {
        if (b === undefined && buckets.size >= options.maxKeys) {
          const oldest = buckets.keys().next().value;
          if (oldest !== undefined) buckets.delete(oldest);
        }
        // Starts full less the request just checked: it can only be looser than the global stage.
        b = { policy: hint.policy, limit: hint.limit, windowMs: hint.windowMs, tokens: hint.limit - 1, at: now, blockedUntil: 0 };
        buckets.set(key, b);
      }
      if (!hint.allowed) b.blockedUntil = now + hint.resetMs;
    },
  };
}
