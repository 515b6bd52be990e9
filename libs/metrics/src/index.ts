import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** `http_request_duration_seconds{method,route,status_code}`, observed for every request. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
}

export interface MetricsOptions {
  /** Added as the `service` label on every series. */
  readonly service: string;
  /** Added as the `node` label (for example `api-2`); defaults to the service name. */
  readonly node?: string;
  /** Collect the default process metrics (default true). */
  readonly defaults?: boolean;
}

/** One registry per service instance, with default process metrics and the HTTP histogram. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service, node: options.node ?? options.service });
  // nodejs_eventloop_lag_* at 100 ms resolution, not prom-client's 10: its timer wakes every idle
  // process that often (docs/benchmarks.md, idle cluster).
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpDuration };
}
