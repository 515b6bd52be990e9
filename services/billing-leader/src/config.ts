import { BaseConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';

/** Every setting of a billing-leader replica; each property is read from its UPPER_SNAKE env var. */
export const BillingLeaderConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
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
  /** The payment provider; used by the charging work (a later issue), never by readiness. */
  paymentsUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:3002' }),
});

export type BillingLeaderConfig = Static<typeof BillingLeaderConfigSchema>;
