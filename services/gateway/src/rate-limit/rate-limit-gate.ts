import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { FailMode } from '../config.js';
import { GatewayErrors } from '../errors.js';
import type { LocalStage, Quota } from './local-stage.js';
import type { GatewayMetrics } from '../metrics.js';
import type { CheckDescriptors, Lease, RateLimitAnswer, RateLimitClient } from './ratelimit-client.js';

export interface Admission {
  /** RateLimit headers to send with the response. */
  readonly headers: Record<string, string>;
  /** Concurrency leases to release when the response ends. */
  readonly leases: readonly Lease[];
}

export interface RateLimitGate {
  /**
   * Admits the request, or throws GW_ERR_RATE_LIMITED (429) / GW_ERR_RATELIMIT_UNAVAILABLE (503 when
   * failing closed).
   */
  admit(descriptors: CheckDescriptors, requestId: string): Promise<Admission>;
  release(leases: readonly Lease[], requestId: string): void;
}

export interface RateLimitGateOptions {
  /** Undefined when rate limiting is switched off. */
  readonly client: RateLimitClient | undefined;
  /** The first stage; undefined to ask the ratelimiter about every request. */
  readonly local: LocalStage | undefined;
  readonly failMode: FailMode;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/** `POST /v1/accounts/42?x=1` -> `POST /v1/accounts`: coarse enough that ids do not explode the key space. */
export function routeTemplate(method: string, url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .slice(0, 2);
  return `${method} /${segments.join('/')}`.slice(0, 256);
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-09/10: `RateLimit-Policy` with
 * q/w, `RateLimit` with r/t, the policy named after the ratelimiter rule), plus the older
 * `RateLimit-Limit/Remaining/Reset` trio that existing clients read.
 */
export function rateLimitHeaders(q: Quota): Record<string, string> {
  const name = `"${q.policy.replace(/["\\]/g, '')}"`;
  const remaining = Math.max(0, q.remaining);
  return {
    'ratelimit-policy': `${name};q=${q.limit};w=${Math.max(1, seconds(q.windowMs))}`,
    ratelimit: `${name};r=${remaining};t=${seconds(q.resetMs)}`,
    'ratelimit-limit': String(q.limit),
    'ratelimit-remaining': String(remaining),
    'ratelimit-reset': String(seconds(q.resetMs)),
  };
}

function quotaOf(answer: RateLimitAnswer): Quota | undefined {
  // limit 0: no rule applies, so there is no policy to announce.
  if (answer.limit <= 0) return undefined;
  return {
    policy: answer.rule ?? 'default',
    limit: answer.limit,
    windowMs: answer.windowMs ?? answer.resetMs,
    remaining: answer.remaining,
    resetMs: answer.resetMs,
  };
}

function rateLimited(quota: Quota): AppError {
  const headers = rateLimitHeaders(quota);
  const retryAfter = String(Math.max(1, seconds(quota.resetMs)));
  return new AppError(GatewayErrors.rateLimited, { headers: { ...headers, 'retry-after': retryAfter } });
}

// A request that lost the race for leased tokens this many times asks for itself (cost 1, unshared).
const MAX_SHARED_ROUNDS = 3;

/**
 * The edge's two-stage enforcement. With the local stage (see local-stage.ts) a key's requests
 * spend tokens leased in batches from the ratelimiter, which is only called when the key's local
 * budget is empty; concurrent requests for an empty key share one lease request (single-flight).
 * Without it, every request is one ratelimiter check. The gateway's own fail mode covers an absent
 * ratelimiter; failing open, the local stage's per-key fallback bucket still limits known keys.
 */
export function createRateLimitGate(options: RateLimitGateOptions): RateLimitGate {
  const { client, local, failMode, metrics } = options;
  const log = options.logger.child({ component: 'rate-limit-gate' });
  const none: Admission = { headers: {}, leases: [] };
  const inflight = new Map<string, Promise<RateLimitAnswer>>();

  function unavailable(err: unknown, descriptors: CheckDescriptors, requestId: string, localKey: string): Admission {
    metrics.ratelimitFailures.inc({ mode: failMode });
    log.warn(
      { err, client: descriptors.client, failMode, reqId: requestId },
      'ratelimiter unavailable; applying fail mode',
    );
    if (failMode === 'closed') {
      metrics.ratelimitDecisions.inc({ result: 'failed_closed' });
      throw new AppError(GatewayErrors.ratelimitUnavailable, { cause: err, headers: { 'retry-after': '1' } });
    }
    const fallback = local?.fallback(localKey, Date.now());
    if (fallback !== undefined && !fallback.pass && fallback.quota !== undefined) {
      metrics.ratelimitDecisions.inc({ result: 'denied_local' });
      throw rateLimited(fallback.quota);
    }
    metrics.ratelimitDecisions.inc({ result: 'failed_open' });
    return none;
  }

  // The ratelimiter's answer to this request's own check (or lease request).
  function decide(answer: RateLimitAnswer, localKey: string | undefined, exact: boolean): Admission {
    const quota = quotaOf(answer);
    const granted = answer.granted ?? (answer.allowed ? 1 : 0);
    if (quota !== undefined && local !== undefined && localKey !== undefined && answer.failMode === undefined) {
      // A fail-mode answer is not a count: nothing is leased from it.
      const own = local.grant(
        localKey,
        {
          policy: quota.policy,
          limit: quota.limit,
          windowMs: quota.windowMs,
          granted: answer.allowed ? granted : 0,
          remaining: answer.remaining,
          resetMs: quota.resetMs,
          unitCost: answer.unitCost ?? 1,
          exact: exact || (answer.leases?.length ?? 0) > 0,
        },
        Date.now(),
      );
      if (answer.allowed && granted >= 1) {
        metrics.ratelimitDecisions.inc({ result: 'allowed' });
        return { headers: rateLimitHeaders(own), leases: answer.leases ?? [] };
      }
      metrics.ratelimitDecisions.inc({ result: 'denied' });
      throw rateLimited(own);
    }
    if (quota !== undefined && local !== undefined && localKey !== undefined && answer.allowed) {
      // The ratelimiter failed open: learn the key's rule so the fallback bucket limits it later.
      local.admitUncounted(
        localKey,
        { policy: quota.policy, limit: quota.limit, windowMs: quota.windowMs, unitCost: answer.unitCost ?? 1, exact },
        Date.now(),
      );
    }
    if (answer.allowed) {
      metrics.ratelimitDecisions.inc({ result: 'allowed' });
      return { headers: quota === undefined ? {} : rateLimitHeaders(quota), leases: answer.leases ?? [] };
    }
    metrics.ratelimitDecisions.inc({ result: 'denied' });
    throw rateLimited({
      ...(quota ?? { policy: 'default', limit: answer.limit, windowMs: 1000, resetMs: answer.resetMs }),
      remaining: 0,
    });
  }

  function ask(descriptors: CheckDescriptors, requestId: string, cost: number): Promise<RateLimitAnswer> {
    metrics.globalChecks.inc();
    return client!.check(descriptors, requestId, cost > 1 ? { cost, partial: true } : {});
  }

  return {
    release(leases, requestId) {
      if (client !== undefined && leases.length > 0) void client.release(leases, requestId);
    },
    async admit(descriptors, requestId) {
      if (client === undefined) return none;
      const localKey = `${descriptors.client}|${descriptors.route}|${descriptors.address ?? ''}`;
      if (local === undefined) {
        let answer: RateLimitAnswer;
        try {
          answer = await ask(descriptors, requestId, 1);
        } catch (err) {
          return unavailable(err, descriptors, requestId, localKey);
        }
        return decide(answer, undefined, true);
      }
      for (let round = 0; ; round += 1) {
        const take = local.take(localKey, Date.now());
        if (take.kind !== 'lease') {
          // Each ratelimiter check is at least one EVALSHA per matching rule on its Redis.
          metrics.redisCallsSaved.inc();
          metrics.ratelimitDecisions.inc({ result: take.kind === 'admit' ? 'allowed_local' : 'denied_local' });
          if (take.kind === 'deny') throw rateLimited(take.quota);
          return { headers: rateLimitHeaders(take.quota), leases: [] };
        }
        const shared = !take.exact && round < MAX_SHARED_ROUNDS;
        const pending = shared ? inflight.get(localKey) : undefined;
        if (pending !== undefined) {
          // Someone is already leasing this key's next batch: wait for it, then try the tokens again.
          try {
            await pending;
          } catch (err) {
            return unavailable(err, descriptors, requestId, localKey);
          }
          continue;
        }
        const request = ask(descriptors, requestId, shared ? take.want : 1);
        if (shared) inflight.set(localKey, request);
        let answer: RateLimitAnswer;
        try {
          answer = await request;
        } catch (err) {
          return unavailable(err, descriptors, requestId, localKey);
        } finally {
          if (inflight.get(localKey) === request) inflight.delete(localKey);
        }
        return decide(answer, localKey, take.exact);
      }
    },
  };
}
