import { Counter, type Metrics } from '@sdl/metrics';

export type RateLimitResult = 'allowed' | 'allowed_local' | 'denied' | 'denied_local' | 'failed_open' | 'failed_closed';

export interface GatewayMetrics {
  readonly proxied: Counter<'status_class'>;
  readonly ratelimitDecisions: Counter<'result'>;
  readonly ratelimitFailures: Counter<'mode'>;
  readonly authFailures: Counter;
  readonly redisCallsSaved: Counter;
  readonly globalChecks: Counter;
  readonly refused: Counter<'code'>;
}

/** The gateway's series, registered on the service's own registry. */
export function createGatewayMetrics(metrics: Metrics): GatewayMetrics {
  const registers = [metrics.registry];
  return {
    proxied: new Counter({
      name: 'gateway_proxied_total',
      help: 'Proxied requests by the status class returned (upstream failures count as the 502/504 sent)',
      labelNames: ['status_class'] as const,
      registers,
    }),
    ratelimitDecisions: new Counter({
      name: 'gateway_ratelimit_decisions_total',
      help: 'Rate limit decisions by result',
      labelNames: ['result'] as const,
      registers,
    }),
    ratelimitFailures: new Counter({
      name: 'gateway_ratelimit_failures_total',
      help: 'Ratelimiter calls that failed or timed out, by the fail mode applied',
      labelNames: ['mode'] as const,
      registers,
    }),
    authFailures: new Counter({
      name: 'gateway_auth_failures_total',
      help: 'Requests rejected for a missing or invalid API key',
      registers,
    }),
    redisCallsSaved: new Counter({
      name: 'gateway_ratelimit_redis_calls_saved_total',
      help: 'Requests the local stage admitted (leased tokens) or denied (cached denial) without a ratelimiter check; each saves at least one Redis call',
      registers,
    }),
    refused: new Counter({
      name: 'gateway_refused_total',
      help: 'Requests the edge refused for their shape or body (src/threat-protection/), by code; parser-level refusals are not counted',
      labelNames: ['code'] as const,
      registers,
    }),
    globalChecks: new Counter({
      name: 'gateway_ratelimit_global_checks_total',
      help: 'Calls to the ratelimiter /v1/check (lease requests and exact checks), each at least one Redis call',
      registers,
    }),
  };
}
