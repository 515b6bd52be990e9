import { Counter, Histogram, type Metrics } from '@sdl/metrics';

export type CheckResult = 'allowed' | 'denied' | 'failed_open' | 'failed_closed' | 'unlimited';

export interface RateLimiterMetrics {
  readonly checks: Counter<'result' | 'rule'>;
  readonly shadowDecisions: Counter<'rule' | 'result'>;
  readonly rulesReloads: Counter<'result'>;
  readonly redisErrors: Counter;
  readonly redisDuration: Histogram<'algorithm'>;
}

/** The ratelimiter's series, registered on the service's own registry. */
export function createRateLimiterMetrics(metrics: Metrics): RateLimiterMetrics {
  const registers = [metrics.registry];
  return {
    checks: new Counter({
      name: 'ratelimiter_checks_total',
      help: 'Rate limit checks by result and enforcing rule',
      labelNames: ['result', 'rule'] as const,
      registers,
    }),
    shadowDecisions: new Counter({
      name: 'ratelimiter_shadow_decisions_total',
      help: 'Decisions of shadow rules (counted, never enforced)',
      labelNames: ['rule', 'result'] as const,
      registers,
    }),
    rulesReloads: new Counter({
      name: 'ratelimiter_rules_reloads_total',
      help: 'Rules-file reloads by result (applied, rejected)',
      labelNames: ['result'] as const,
      registers,
    }),
    redisErrors: new Counter({
      name: 'ratelimiter_redis_errors_total',
      help: 'Redis calls that failed or timed out during a check',
      registers,
    }),
    redisDuration: new Histogram({
      name: 'ratelimiter_redis_duration_seconds',
      help: 'Duration of the Redis call of one check, by algorithm',
      labelNames: ['algorithm'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
  };
}
