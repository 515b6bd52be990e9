import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { FailMode } from './config.js';
import { GatewayErrors } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { RateLimitAnswer, RateLimitClient } from './ratelimit-client.js';

export interface RateLimitGate {
  /**
   * Admits the request and returns the RateLimit headers to send with it, or throws
   * GW_ERR_RATE_LIMITED (429) / GW_ERR_RATELIMIT_UNAVAILABLE (503 when failing closed).
   */
  admit(client: string, route: string, requestId: string): Promise<Record<string, string>>;
}

export interface RateLimitGateOptions {
  /** Undefined when rate limiting is switched off. */
  readonly client: RateLimitClient | undefined;
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

// IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): reset in whole seconds.
function rateLimitHeaders(answer: RateLimitAnswer): Record<string, string> {
  return {
    'ratelimit-limit': String(answer.limit),
    'ratelimit-remaining': String(Math.max(0, answer.remaining)),
    'ratelimit-reset': String(Math.max(0, Math.ceil(answer.resetMs / 1000))),
  };
}

/** The edge's enforcement of the ratelimiter's decisions, with its own fail mode for an absent limiter. */
export function createRateLimitGate(options: RateLimitGateOptions): RateLimitGate {
  const { client, failMode, metrics } = options;
  const log = options.logger.child({ component: 'rate-limit-gate' });
  return {
    async admit(name, route, requestId) {
      if (client === undefined) return {};
      let answer: RateLimitAnswer;
      try {
        answer = await client.check(name, route, requestId);
      } catch (err) {
        metrics.ratelimitFailures.inc({ mode: failMode });
        metrics.ratelimitDecisions.inc({ result: failMode === 'open' ? 'failed_open' : 'failed_closed' });
        log.warn({ err, client: name, failMode, reqId: requestId }, 'ratelimiter unavailable; applying fail mode');
        if (failMode === 'open') return {};
        throw new AppError(GatewayErrors.ratelimitUnavailable, { cause: err, headers: { 'retry-after': '1' } });
      }
      const headers = rateLimitHeaders(answer);
      if (answer.allowed) {
        metrics.ratelimitDecisions.inc({ result: 'allowed' });
        return headers;
      }
      metrics.ratelimitDecisions.inc({ result: 'denied' });
      const retryAfter = String(Math.max(1, Math.ceil(answer.resetMs / 1000)));
      throw new AppError(GatewayErrors.rateLimited, { headers: { ...headers, 'retry-after': retryAfter } });
    },
  };
}
