import { AppError } from '@sdl/errors';
import { ApiErrors } from '../../errors.js';
import { appendOutboxEvent } from '../../outbox/outbox-store.js';
import type { Plan } from './plans.js';
import type { ShardRoute } from '../../sharding/shard-router.js';
import type { ShardPools } from '../../db/shard-pools.js';
import { createOnce, onKeyConflict, type Created, type KeyScope } from '../../idempotency/create-once.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-key.js';
import type { Charge, Subscription } from './subscription.js';

interface SubscriptionRow {
  id: string;
  account_id: string;
  plan: string;
  status: 'active' | 'canceled';
  amount_cents: number;
  currency: string;
  period_months: number;
  next_billing_at: Date | null;
  created_at: Date;
  canceled_at: Date | null;
}

const COLUMNS =
  'id, account_id, plan, status, amount_cents, currency, period_months, next_billing_at, created_at, canceled_at';
const KEYS: KeyScope = { table: 'subscriptions', owner: 'account_id' };

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    accountId: row.account_id,
    plan: row.plan,
    status: row.status,
    amountCents: row.amount_cents,
    currency: row.currency,
    periodMonths: row.period_months,
    nextBillingAt: row.next_billing_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    canceledAt: row.canceled_at?.toISOString() ?? null,
  };
}

const code = (err: unknown): unknown => (err as { code?: unknown }).code;

/** Subscriptions and their charges, on the account's shard primary (billing never reads a replica). */
export class SubscriptionRepository {
  readonly #shards: ShardPools;

  constructor(shards: ShardPools) {
    this.#shards = shards;
  }

  /** The first period is due at once: billing charges it on its next tick (next_billing_at = now()). */
  async create(
    route: ShardRoute,
    input: { id: string; accountId: string; plan: Plan },
    request?: IdempotentRequest,
  ): Promise<Created<Subscription>> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'subscription_create', async (client) => {
      const insert = async (): Promise<SubscriptionRow | undefined> => {
        try {
          const { rows } = await client.query<SubscriptionRow>(
            `INSERT INTO subscriptions (id, account_id, partition, plan, status, amount_cents, currency, period_months,
                                        next_billing_at, idempotency_key, request_hash)
             VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, now(), $8, $9) ${onKeyConflict(KEYS)}
             RETURNING ${COLUMNS}`,
            [
              input.id,
              input.accountId,
              route.partition,
              input.plan.id,
              input.plan.amountCents,
              input.plan.currency,
              input.plan.periodMonths,
              request?.key,
              request?.hash,
            ],
          );
          return rows[0];
        } catch (err) {
          if (code(err) === '23503')
            throw new AppError(ApiErrors.accountNotFound, { details: { id: input.accountId } });
          // 23505 on subscriptions_one_active_idx: a concurrent or earlier choice is still active.
          if (code(err) === '23505')
            throw new AppError(ApiErrors.subscriptionExists, { details: { accountId: input.accountId } });
          throw err;
        }
      };
      return createOnce({
        client,
        request,
        scope: KEYS,
        ownerValue: input.accountId,
        columns: COLUMNS,
        insert,
        toValue: toSubscription,
        event: { aggregateType: 'subscription', eventType: 'subscription.created' },
      });
    });
  }

  async findById(route: ShardRoute, accountId: string, id: string): Promise<Subscription | undefined> {
    return this.#shards.withClient(route.shard, 'subscription_get', async (client) => {
      const { rows } = await client.query<SubscriptionRow>(
        `SELECT ${COLUMNS} FROM subscriptions WHERE id = $1 AND account_id = $2`,
        [id, accountId],
      );
      return rows[0] === undefined ? undefined : toSubscription(rows[0]);
    });
  }

  /** Cancels an active subscription: no further periods are due. 404 / 409 when there is nothing to cancel. */
  async cancel(route: ShardRoute, accountId: string, id: string): Promise<Subscription> {
    return this.#shards.partitionTransaction(route.shard, [route.partition], 'subscription_cancel', async (client) => {
      const { rows } = await client.query<SubscriptionRow>(
        `UPDATE subscriptions SET status = 'canceled', canceled_at = now(), next_billing_at = NULL
          WHERE id = $1 AND account_id = $2 AND status = 'active' RETURNING ${COLUMNS}`,
        [id, accountId],
      );
      if (rows[0] === undefined) {
        const { rowCount } = await client.query('SELECT 1 FROM subscriptions WHERE id = $1 AND account_id = $2', [
          id,
          accountId,
        ]);
        throw new AppError((rowCount ?? 0) > 0 ? ApiErrors.subscriptionCanceled : ApiErrors.subscriptionNotFound, {
          details: { accountId, id },
        });
      }
      const subscription = toSubscription(rows[0]);
      await appendOutboxEvent(client, {
        aggregateType: 'subscription',
        aggregateId: id,
        eventType: 'subscription.canceled',
        payload: subscription,
      });
      return subscription;
    });
  }

  /** Oldest period first; undefined when the subscription does not exist. */
  async charges(route: ShardRoute, accountId: string, id: string): Promise<Charge[] | undefined> {
    return this.#shards.withClient(route.shard, 'charges_list', async (client) => {
      const exists = await client.query('SELECT 1 FROM subscriptions WHERE id = $1 AND account_id = $2', [
        id,
        accountId,
      ]);
      if ((exists.rowCount ?? 0) === 0) return undefined;
      const { rows } = await client.query<{
        id: string;
        subscription_id: string;
        period_start: Date;
        period_end: Date;
        amount_cents: number;
        currency: string;
        status: string;
        token: string;
        idempotency_key: string | null;
        provider_charge_id: string | null;
        failure_code: string | null;
        created_at: Date;
        updated_at: Date;
      }>(
        `SELECT id, subscription_id, period_start, period_end, amount_cents, currency, status, token::text AS token,
                idempotency_key, provider_charge_id, failure_code, created_at, updated_at
           FROM charges WHERE subscription_id = $1 ORDER BY period_start LIMIT 1000`,
        [id],
      );
      return rows.map((r) => ({
        id: r.id,
        subscriptionId: r.subscription_id,
        periodStart: r.period_start.toISOString(),
        periodEnd: r.period_end.toISOString(),
        amountCents: r.amount_cents,
        currency: r.currency,
        status: r.status,
        token: r.token,
        idempotencyKey: r.idempotency_key,
        providerChargeId: r.provider_charge_id,
        failureCode: r.failure_code,
        createdAt: r.created_at.toISOString(),
        updatedAt: r.updated_at.toISOString(),
      }));
    });
  }
}

export function createSubscriptionRepository(shards: ShardPools): SubscriptionRepository {
  return new SubscriptionRepository(shards);
}
