import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { FailMode } from './config.js';
import { GatewayErrors } from './errors.js';
import type { LocalStage } from './local-stage.js';
import type { GatewayMetrics } from './metrics.js';
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
  const segments = path.split('/').filter((s) => s !== '').slice(0, 2);
  return `${method} /${segments.join('/')}`.slice(0, 256);
}

interface Quota {
  readonly policy: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly remaining: number;
  readonly resetMs: number;
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

/**
 * The edge's two-stage enforcement: the local stage (see local-stage.ts) may deny on its own; what
 * it passes goes to the ratelimiter, whose decision is final. The gateway's own fail mode covers an
 * absent ratelimiter.
 */
export function createRateLimitGate(options: RateLimitGateOptions): RateLimitGate {
  const { client, local, failMode, metrics } = options;
  const log = options.logger.child({ component: 'rate-limit-gate' });
  const none: Admission = { headers: {}, leases: [] };
  return {
    release(leases, requestId) {
      if (client !== undefined && leases.length > 0) void client.release(leases, requestId);
    },
    async admit(descriptors, requestId) {
      if (client === undefined) return none;
      const localKey = `${descriptors.client}|${descriptors.route}|${descriptors.address ?? ''}`;
      const verdict = local?.take(localKey, Date.now());
      if (verdict !== undefined && !verdict.pass) {
        metrics.ratelimitDecisions.inc({ result: 'denied_local' });
        // Each global check is at least one EVALSHA per matching rule on the ratelimiter's Redis.
        metrics.redisCallsSaved.inc();
        throw rateLimited({ policy: verdict.policy, limit: verdict.limit, windowMs: verdict.windowMs, remaining: 0, resetMs: verdict.retryMs });
      }
      let answer: RateLimitAnswer;
      try {
        answer = await client.check(descriptors, requestId);
      } catch (err) {
        metrics.ratelimitFailures.inc({ mode: failMode });
        metrics.ratelimitDecisions.inc({ result: failMode === 'open' ? 'failed_open' : 'failed_closed' });
        log.warn({ err, client: descriptors.client, failMode, reqId: requestId }, 'ratelimiter unavailable; applying fail mode');
        if (failMode === 'open') return none;
        throw new AppError(GatewayErrors.ratelimitUnavailable, { cause: err, headers: { 'retry-after': '1' } });
      }
      const quota = quotaOf(answer);
      if (quota !== undefined) {
        local?.learn(localKey, { policy: quota.policy, allowed: answer.allowed, limit: quota.limit, windowMs: quota.windowMs, resetMs: quota.resetMs }, Date.now());
      }
      if (answer.allowed) {
        metrics.ratelimitDecisions.inc({ result: 'allowed' });
        return { headers: quota === undefined ? {} : rateLimitHeaders(quota), leases: answer.leases ?? [] };
      }
      metrics.ratelimitDecisions.inc({ result: 'denied' });
      throw rateLimited(quota ?? { policy: 'default', limit: answer.limit, windowMs: 1000, remaining: 0, resetMs: answer.resetMs });
    },
  };
}
