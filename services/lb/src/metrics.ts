import { Counter, Gauge, Histogram, type Registry } from '@sdl/metrics';
import type { Balancer } from './balancer.js';
import type { UpstreamSet } from './upstreams/upstream-set.js';

/** What a failed try (or a failed response stream) is counted as in `lb_upstream_errors_total`. */
export type ErrorKind = 'connect' | 'timeout' | 'reset' | 'other' | 'client_abort';

export interface LbMetrics {
  readonly requests: Counter<'upstream' | 'status_class'>;
  readonly duration: Histogram<'upstream'>;
  readonly errors: Counter<'upstream' | 'kind'>;
  readonly retries: Counter;
  readonly retriesBudgetExhausted: Counter;
  readonly ejections: Counter<'upstream'>;
}

/** The lb's series; health and host counts are read from the live set at scrape time. */
export function createLbMetrics(registry: Registry, upstreams: UpstreamSet, balancer: Balancer): LbMetrics {
  const registers = [registry];
  new Gauge({
    name: 'lb_strategy_info',
    help: 'The main strategy and hash key in use (1); switched at run time by PUT /admin/lb/strategy',
    labelNames: ['strategy', 'hash_key'] as const,
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      this.set({ strategy: balancer.strategy, hash_key: balancer.hashKey }, 1);
    },
  });
  new Gauge({
    name: 'lb_upstream_healthy',
    help: '1 when the upstream is in rotation, 0 when health checks took it out',
    labelNames: ['upstream'] as const,
    registers,
    // LB_WORKERS > 1: in rotation only if in every worker's (the primary merges the workers' series).
    aggregator: 'min',
    collect() {
      this.reset();
      for (const host of upstreams.list()) this.set({ upstream: host.id }, host.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lb_upstream_ejected',
    help: '1 while passive outlier detection keeps the upstream out of rotation',
    labelNames: ['upstream'] as const,
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      for (const host of upstreams.list()) this.set({ upstream: host.id }, host.ejected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lb_upstream_active_requests',
    help: 'Requests sent to the upstream and not yet finished',
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const host of upstreams.list()) this.set({ upstream: host.id }, host.inflight);
    },
  });
  new Gauge({
    name: 'lb_upstreams',
    help: 'Upstreams known (static and discovered), healthy or not',
    registers,
    aggregator: 'max',
    collect() {
      this.set(upstreams.list().length);
    },
  });
  return {
    requests: new Counter({
      name: 'lb_upstream_requests_total',
      help: 'Responses received from upstreams, by status class',
      labelNames: ['upstream', 'status_class'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'lb_upstream_request_duration_seconds',
      help: 'Time from sending a try to the end of the streamed response',
      labelNames: ['upstream'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    errors: new Counter({
      name: 'lb_upstream_errors_total',
      help: 'Failed tries and broken response streams, by kind',
      labelNames: ['upstream', 'kind'] as const,
      registers,
    }),
    retries: new Counter({ name: 'lb_retries_total', help: 'Tries sent to another host after a failure', registers }),
    retriesBudgetExhausted: new Counter({
      name: 'lb_retries_budget_exhausted_total',
      help: 'Retries not sent because the retry budget was spent',
      registers,
    }),
    ejections: new Counter({
      name: 'lb_upstream_ejections_total',
      help: 'Times passive outlier detection ejected the upstream',
      labelNames: ['upstream'] as const,
      registers,
    }),
  };
}
