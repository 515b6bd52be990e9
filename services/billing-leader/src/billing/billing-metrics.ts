import { Counter, Gauge, Histogram, type Registry } from '@sdl/metrics';

/** What happened to a charge (or an attempt at one): the `outcome` label of billing_charges_total. */
export type ChargeOutcome =
  | 'created' // a pending charge row for a due period
  | 'succeeded' // the provider charged it (or replayed the charge of its key)
  | 'failed' // the provider refused it for good
  | 'left_pending' // no answer after PROVIDER_ATTEMPTS: a later tick retries with the same key
  | 'skipped' // no longer due (another transaction got there first) or already finished
  | 'moved' // its partition moved to another shard, which bills it
  | 'rejected'; // refused by the fence: this leader is stale

/** Result of one provider call: the `result` label of the latency histogram. */
export type ProviderResult = 'created' | 'replayed' | 'permanent' | 'retriable' | 'timeout' | 'unreachable';

export interface BillingMetrics {
  readonly charges: Counter<'outcome'>;
  readonly fenceRejections: Counter<'shard'>;
  readonly staleWrites: Counter<'shard'>;
  readonly providerLatency: Histogram<'result'>;
  readonly providerInFlight: Gauge;
  readonly dueBacklog: Gauge<'shard'>;
  readonly oldestDueAge: Gauge<'shard'>;
  readonly lastCharge: Gauge;
  readonly chargeDelay: Histogram;
}

/** The charging work's series (see the README's Metrics table). */
export function createBillingMetrics(registry: Registry): BillingMetrics {
  const registers = [registry];
  return {
    charges: new Counter({
      name: 'billing_charges_total',
      help: 'Charges by outcome: created, succeeded, failed, left_pending, skipped, moved, rejected',
      labelNames: ['outcome'] as const,
      registers,
    }),
    fenceRejections: new Counter({
      name: 'billing_fence_rejections_total',
      help: 'Billing transactions refused by the shard fence: a newer leader had written there (this one stops acting)',
      labelNames: ['shard'] as const,
      registers,
    }),
    staleWrites: new Counter({
      name: 'billing_stale_writes_total',
      help: 'With BILLING_FENCING=off: writes that landed although a newer leader had written to the shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    providerLatency: new Histogram({
      name: 'billing_provider_request_duration_seconds',
      help: 'Payment provider calls by result: created, replayed, permanent, retriable, timeout, unreachable',
      labelNames: ['result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    providerInFlight: new Gauge({
      name: 'billing_provider_in_flight',
      help: 'Provider calls in flight now',
      registers,
    }),
    dueBacklog: new Gauge({
      name: 'billing_due_backlog',
      help: 'Active subscriptions due now (next_billing_at <= now()) per shard, counted up to 10000 at each tick',
      labelNames: ['shard'] as const,
      registers,
    }),
    oldestDueAge: new Gauge({
      name: 'billing_oldest_due_age_seconds',
      help: 'Age of the oldest due period per shard at each tick (0 when nothing is due)',
      labelNames: ['shard'] as const,
      registers,
    }),
    lastCharge: new Gauge({
      name: 'billing_last_charge_timestamp_seconds',
      help: 'Unix time of the last charge this replica finished (succeeded or failed)',
      registers,
    }),
    chargeDelay: new Histogram({
      name: 'billing_charge_delay_seconds',
      help: 'From a period becoming due (next_billing_at) to its pending charge row being written',
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 60],
      registers,
    }),
  };
}
