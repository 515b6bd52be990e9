import { Type, type Static } from '@sinclair/typebox';
import type { ShardPools } from '../../db/shard-pools.js';
import type { ShardRoute } from '../../sharding/shard-router.js';

/** `GET /v1/accounts/:accountId/billing`: the account's billing ledger, projected from billing.events. */
export const BillingLedgerSchema = Type.Object(
  {
    accountId: Type.String(),
    chargesCreated: Type.Integer(),
    chargesSucceeded: Type.Integer(),
    chargesFailed: Type.Integer(),
    /** Sum of the succeeded charges, minor units. */
    chargedCents: Type.Integer(),
    lastChargeId: Type.Union([Type.String(), Type.Null()]),
    updatedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type BillingLedger = Static<typeof BillingLedgerSchema>;

/** The part of a `charge.*` event the projection uses. */
export interface ChargeEvent {
  readonly eventId: string;
  readonly type: string;
  readonly accountId: string;
  readonly chargeId: string;
  readonly amountCents: number;
}

/** The consumer's name in processed_events: each consumer de-duplicates on its own. */
const CONSUMER = 'billing-ledger';

/**
 * The per-account billing ledger on the account's shard. `apply` records the event id in
 * processed_events and adds the event's effect in the same transaction (taking the partition
 * write guard like every write), so an event delivered or published twice has one effect.
 */
export class BillingLedgerRepository {
  readonly #shards: ShardPools;

  constructor(shards: ShardPools) {
    this.#shards = shards;
  }

  /** True when applied now, false when this event id was applied before (nothing changes). */
  async apply(route: ShardRoute, event: ChargeEvent): Promise<boolean> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'billing_ledger_apply', async (client) => {
      const first = await client.query(
        'INSERT INTO processed_events (id, partition, event_type) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [`${CONSUMER}:${event.eventId}`, route.partition, event.type],
      );
      if ((first.rowCount ?? 0) === 0) return false;
      const succeeded = event.type === 'charge.succeeded';
      await client.query(
        `INSERT INTO billing_ledger AS l (id, partition, charges_created, charges_succeeded, charges_failed, charged_cents,
                                         last_charge_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET
           charges_created = l.charges_created + EXCLUDED.charges_created,
           charges_succeeded = l.charges_succeeded + EXCLUDED.charges_succeeded,
           charges_failed = l.charges_failed + EXCLUDED.charges_failed,
           charged_cents = l.charged_cents + EXCLUDED.charged_cents,
           last_charge_id = EXCLUDED.last_charge_id,
           updated_at = now()`,
        [
          event.accountId,
          route.partition,
          event.type === 'charge.created' ? 1 : 0,
          succeeded ? 1 : 0,
          event.type === 'charge.failed' ? 1 : 0,
          succeeded ? event.amountCents : 0,
          event.chargeId,
        ],
      );
      return true;
    });
  }

  /** The account's ledger; all zero when no charge event has reached it yet. */
  async get(route: ShardRoute, accountId: string): Promise<BillingLedger> {
    return this.#shards.withClient(route.shard, 'billing_ledger_get', async (client) => {
      const { rows } = await client.query<{
        charges_created: number;
        charges_succeeded: number;
        charges_failed: number;
        charged_cents: string;
        last_charge_id: string | null;
        updated_at: Date;
      }>('SELECT * FROM billing_ledger WHERE id = $1', [accountId]);
      const row = rows[0];
      return {
        accountId,
        chargesCreated: row?.charges_created ?? 0,
        chargesSucceeded: row?.charges_succeeded ?? 0,
        chargesFailed: row?.charges_failed ?? 0,
        chargedCents: Number(row?.charged_cents ?? 0),
        lastChargeId: row?.last_charge_id ?? null,
        updatedAt: row?.updated_at.toISOString() ?? null,
      };
    });
  }
}
