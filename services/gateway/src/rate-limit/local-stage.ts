/** What a RateLimit header set says: one policy (a ratelimiter rule) and where the key stands in it. */
export interface Quota {
  readonly policy: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly remaining: number;
  readonly resetMs: number;
}

/** A global answer to a lease request, as far as the local stage needs it. */
export interface Grant {
  /** The global rule's name (the RateLimit policy name). */
  readonly policy: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Requests granted: 0 when denied; up to the batch asked for. */
  readonly granted: number;
  /** Global units left after the grant. */
  readonly remaining: number;
  readonly resetMs: number;
  /** The rule's cost per request in units (batches are sized in requests). */
  readonly unitCost: number;
  /** No batching for this key: every request must go to the global limiter (concurrency rules). */
  readonly exact: boolean;
}

export type Take =
  | { readonly kind: 'admit'; readonly quota: Quota }
  | { readonly kind: 'deny'; readonly quota: Quota }
  /** The key's local budget is empty: lease `want` requests from the global limiter (`exact`: one per request, no sharing). */
  | { readonly kind: 'lease'; readonly want: number; readonly exact: boolean };

export interface LocalStage {
  /** Spends one locally held token, answers a cached global denial, or asks for a lease. */
  take(key: string, now: number): Take;
  /**
   * Records a global answer to a lease of the key. The request that asked for it takes one of the
   * granted tokens at once (its quota is returned); the rest are held for the key's next requests.
   */
  grant(key: string, grant: Grant, now: number): Quota;
  /**
   * The ratelimiter is unreachable and the gateway fails open: a per-key token bucket (limit per
   * window, drained by every admission) is the only limit. Unknown keys pass (`quota` undefined).
   */
  fallback(key: string, now: number): { readonly pass: boolean; readonly quota: Quota | undefined };
  /**
   * The ratelimiter answered by its own fail mode (its store failed): nothing was counted, so no
   * tokens are leased, but the key's rule is learned and the admission drains the fallback bucket,
   * so that a ratelimiter that then goes away still finds the key limited.
   */
  admitUncounted(
    key: string,
    rule: Pick<Grant, 'policy' | 'limit' | 'windowMs' | 'unitCost' | 'exact'>,
    now: number,
  ): void;
}

export interface LocalStageOptions {
  readonly maxKeys: number;
  /** Batch = max(1, floor(limit x fraction / unitCost)) requests per lease (RATELIMIT_LOCAL_BATCH_FRACTION). */
  readonly batchFraction: number;
  /** Upper bound on a batch (the ratelimiter accepts costs up to 1000). */
  readonly batchMax: number;
}

interface Entry {
  policy: string;
  limit: number;
  windowMs: number;
  unitCost: number;
  exact: boolean;
  /** Leased requests not yet spent, valid until leaseUntil. */
  tokens: number;
  leaseUntil: number;
  /** The global remaining and reset as of the last grant, for the headers. */
  globalRemaining: number;
  resetAt: number;
  /** A global denial, cached until its reset. */
  blockedUntil: number;
  /** Fail-open bucket: limit per window, drained by every admission, refilled lazily. */
  spare: number;
  spareAt: number;
}

/** The batch a key leases at once, in requests. */
export function batchSize(
  limit: number,
  unitCost: number,
  options: Pick<LocalStageOptions, 'batchFraction' | 'batchMax'>,
): number {
  return Math.max(1, Math.min(options.batchMax, Math.floor((limit * options.batchFraction) / Math.max(1, unitCost))));
}

/**
 * The gateway-local first stage. Each key holds a lease of tokens bought from the global limiter
 * (which charged them up front): requests spend them without any ratelimiter call until the lease
 * is spent or a window old, then the next request leases another batch (the gate makes concurrent
 * requests share one lease request). A global denial is cached until its reset.
 *
 * Bound (per global counter; a "gateway" below is one lease holder, i.e. one gateway x local key,
 * and a rule counting per client alone is shared by every route and address of the client):
 * every admitted request was paid for at the global limiter before it was admitted, so over
 * any interval the cluster admits at most what the global algorithm granted in that interval, plus
 * tokens leased before it and spent in it. A gateway holds at most one lease per key, asks for the
 * next only when it is spent or expired, so at most one of its leases straddles the interval's
 * start: at most batch - 1 tokens carry in (the asking request spent one on arrival), or batch
 * when the lease's reply arrived after the interval began. With N gateways:
 *   admitted(window) <= A(window) + N x batch   (N x (batch - 1) counting leases from their receipt)
 * where A is the global algorithm's own bound (the limit, for sliding-log over any window or fixed
 * window over its windows). Limits below 1 / RATELIMIT_LOCAL_BATCH_FRACTION give batch 1: exact.
 * Keys are bounded (oldest dropped first) so a flood of distinct keys cannot grow memory.
 */
export function createLocalStage(options: LocalStageOptions): LocalStage {
  const entries = new Map<string, Entry>();

  const quotaOf = (e: Entry, now: number, remaining: number): Quota => ({
    policy: e.policy,
    limit: e.limit,
    windowMs: e.windowMs,
    remaining,
    resetMs: Math.max(0, e.resetAt - now),
  });

  function drainSpare(e: Entry, now: number): number {
    e.spare = Math.min(e.limit, e.spare + ((now - e.spareAt) * e.limit) / e.windowMs);
    e.spareAt = now;
    return e.spare;
  }

  function entryFor(
    key: string,
    g: Pick<Grant, 'policy' | 'limit' | 'windowMs' | 'unitCost' | 'exact'>,
    now: number,
  ): Entry {
    let e = entries.get(key);
    if (e === undefined || e.limit !== g.limit || e.windowMs !== g.windowMs || e.policy !== g.policy) {
      if (e === undefined && entries.size >= options.maxKeys) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      e = {
        policy: g.policy,
        limit: g.limit,
        windowMs: g.windowMs,
        unitCost: g.unitCost,
        exact: g.exact,
        tokens: 0,
        leaseUntil: 0,
        globalRemaining: 0,
        resetAt: now,
        blockedUntil: 0,
        spare: g.limit,
        spareAt: now,
      };
      entries.set(key, e);
    }
    return e;
  }

  return {
    take(key, now) {
      const e = entries.get(key);
      if (e === undefined) return { kind: 'lease', want: 1, exact: false };
      if (now < e.blockedUntil)
        return { kind: 'deny', quota: { ...quotaOf(e, now, 0), resetMs: e.blockedUntil - now } };
      if (e.exact) return { kind: 'lease', want: 1, exact: true };
      if (e.tokens >= 1 && now < e.leaseUntil) {
        e.tokens -= 1;
        drainSpare(e, now);
        e.spare = Math.max(0, e.spare - 1);
        return { kind: 'admit', quota: quotaOf(e, now, e.tokens + e.globalRemaining) };
      }
      e.tokens = 0;
      return { kind: 'lease', want: batchSize(e.limit, e.unitCost, options), exact: false };
    },
    grant(key, g, now) {
      const e = entryFor(key, g, now);
      e.unitCost = g.unitCost;
      e.exact = g.exact;
      e.globalRemaining = Math.max(0, Math.floor(g.remaining / Math.max(1, g.unitCost)));
      e.resetAt = now + g.resetMs;
      drainSpare(e, now);
      if (g.granted < 1) {
        e.tokens = 0;
        // A concurrency denial ends when a slot is released, long before its reset: not cached.
        if (!e.exact) e.blockedUntil = now + Math.max(1, g.resetMs);
        return quotaOf(e, now, 0);
      }
      e.blockedUntil = 0;
      e.spare = Math.max(0, e.spare - 1);
      // The asking request spends one token now; the rest live for at most one window.
      const held = now < e.leaseUntil ? e.tokens : 0;
      e.tokens = e.exact ? 0 : held + g.granted - 1;
      e.leaseUntil = now + g.windowMs;
      return quotaOf(e, now, e.tokens + e.globalRemaining);
    },
    fallback(key, now) {
      const e = entries.get(key);
      if (e === undefined) return { pass: true, quota: undefined };
      if (drainSpare(e, now) < 1) {
        const retryMs = Math.ceil(((1 - e.spare) * e.windowMs) / e.limit);
        return { pass: false, quota: { ...quotaOf(e, now, 0), resetMs: retryMs } };
      }
      e.spare -= 1;
      return { pass: true, quota: undefined };
    },
    admitUncounted(key, rule, now) {
      const e = entryFor(key, rule, now);
      e.tokens = 0;
      drainSpare(e, now);
      e.spare = Math.max(0, e.spare - 1);
    },
  };
}
