import type { ConfigIssue } from '@sdl/config';
import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';

/** Every setting of a billing-leader replica; each property is read from its UPPER_SNAKE env var. */
export const BillingLeaderConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3003 }),
  etcdEndpoints: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'etcd endpoints (comma list)' }),
  /** Replicas campaign in `/sdl/elections/<name>/`. */
  electionName: Type.String({ minLength: 1, pattern: '^[\\w.-]+$', default: 'billing' }),
  /** Lease TTL: how long a dead leader can hold the election before another replica takes over. */
  electionTtlS: Type.Integer({ minimum: 1, maximum: 60, default: 3 }),
  /** The leader stops acting this long before its lease could expire (must be below the TTL). */
  electionMarginMs: Type.Integer({ minimum: 0, default: 750 }),
  /** Interval of the leader's work loop. */
  tickMs: Type.Integer({ minimum: 10, default: 1000 }),
  /** The payment provider; used by the charging work, never by readiness. */
  paymentsUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:3002' }),

  // ---- charging (src/billing/); the settings marked "run time" can be changed by PUT /admin/billing
  /** Postgres URL of each shard primary (index = shard number), as the api's; billing never reads a replica. */
  shardPrimaries: Type.Array(Type.String({ minLength: 1 }), {
    default: [],
    description: 'comma list; empty: no charging',
  }),
  /** Run time. Length of every billing period in seconds; 0: the plan's months (the lab sets 10). */
  billingPeriodSeconds: Type.Integer({ minimum: 0, default: 0 }),
  /** Run time. `off` skips the fence check (the comparison in docs/benchmarks.md): stale writes land. */
  billingFencing: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  /** Run time. A pending charge is retried by a tick only once it was left alone this long (its writer's call may be in flight). */
  pendingRetryAfterMs: Type.Integer({ minimum: 0, default: 3000 }),
  /**
   * Run time. Lab fault: every fenced write waits this long after the leader's last check and does
   * not notice a demotion meanwhile (a stop-the-world pause or a write stuck on its way): what fencing is for.
   */
  billingWriteStallMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  /** Due subscriptions (and pending charges) read per query, oldest first. */
  billingBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  /** Charges in progress at once, over all shards together. */
  billingConcurrency: Type.Integer({ minimum: 1, maximum: 256, default: 8 }),
  /** One provider call gives up after this long (then it is retried with the same key). */
  providerTimeoutMs: Type.Integer({ minimum: 1, default: 5000 }),
  /** Provider calls per charge and tick, the first included; a charge still unanswered stays pending. */
  providerAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
  pgPoolMax: Type.Integer({ minimum: 1, default: 5 }),
  pgConnectTimeoutMs: Type.Integer({ minimum: 1, default: 2000 }),
  pgStatementTimeoutMs: Type.Integer({ minimum: 1, default: 5000 }),
});

export type BillingLeaderConfig = Static<typeof BillingLeaderConfigSchema>;

/** Rules that span settings: the leader must stop acting before its lease can lapse. */
export function checkBillingLeaderConfig(config: BillingLeaderConfig): ConfigIssue[] {
  if (config.electionMarginMs < config.electionTtlS * 1000) return [];
  return [{ key: 'ELECTION_MARGIN_MS', message: `must be below ELECTION_TTL_S in ms (${config.electionTtlS * 1000})` }];
}
