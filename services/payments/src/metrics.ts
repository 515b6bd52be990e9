import { Counter, type Metrics } from '@sdl/metrics';

export interface PaymentsMetrics {
  readonly charges: Counter;
  readonly replays: Counter;
  readonly conflicts: Counter<'reason'>;
  readonly faults: Counter<'fault'>;
}

/** The provider's series, registered on the service's own registry. */
export function createPaymentsMetrics(metrics: Metrics): PaymentsMetrics {
  const registers = [metrics.registry];
  return {
    charges: new Counter({ name: 'payments_charges_total', help: 'Charges made (first requests only)', registers }),
    replays: new Counter({
      name: 'payments_idempotent_replays_total',
      help: 'Requests answered with the stored charge of an earlier request with the same key',
      registers,
    }),
    conflicts: new Counter({
      name: 'payments_idempotency_conflicts_total',
      help: 'Key reuse that was not a plain replay: mismatch (422) or in_flight (waited for a concurrent request)',
      labelNames: ['reason'] as const,
      registers,
    }),
    faults: new Counter({
      name: 'payments_faults_injected_total',
      help: 'Faults injected by the chaos flags: fail (503, nothing charged), accept_timeout (charged, 504), slow',
      labelNames: ['fault'] as const,
      registers,
    }),
  };
}
