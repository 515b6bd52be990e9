import { Type, type Static } from '@sinclair/typebox';
import { ACCOUNT_ID_PATTERN, SUBSCRIPTION_ID_PATTERN } from '../ids.js';

export const SubscriptionSchema = Type.Object(
  {
    id: Type.String({ pattern: SUBSCRIPTION_ID_PATTERN.source }),
    accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }),
    plan: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('canceled')]),
    amountCents: Type.Integer(),
    currency: Type.String(),
    periodMonths: Type.Integer(),
    /** When the next period is due for charging; null once canceled. */
    nextBillingAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    canceledAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type Subscription = Static<typeof SubscriptionSchema>;

/** `POST /v1/accounts/:accountId/subscriptions`: the plan id; an unknown id is a 422, not a 400. */
export const ChoosePlanSchema = Type.Object(
  { plan: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type ChoosePlanInput = Static<typeof ChoosePlanSchema>;

export const ChargeSchema = Type.Object(
  {
    id: Type.String(),
    subscriptionId: Type.String(),
    periodStart: Type.String(),
    periodEnd: Type.String(),
    amountCents: Type.Integer(),
    currency: Type.String(),
    /** `pending` (the provider call in flight or to be retried), `succeeded`, `failed`. */
    status: Type.String(),
    /** The fencing token of the billing leader that wrote the row last (decimal). */
    token: Type.String(),
    /** What billing sends the provider: `sub:<subscription id>:<period start, microseconds>`. */
    idempotencyKey: Type.Union([Type.String(), Type.Null()]),
    providerChargeId: Type.Union([Type.String(), Type.Null()]),
    failureCode: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Charge = Static<typeof ChargeSchema>;

/** The token of the charge written last (the `x-fence` answer header); undefined without charges. */
export function lastWriteToken(charges: readonly Charge[]): string | undefined {
  let last: Charge | undefined;
  for (const charge of charges) if (last === undefined || charge.updatedAt > last.updatedAt) last = charge;
  return last?.token;
}

export const ChargeListSchema = Type.Object({ items: Type.Array(ChargeSchema) }, { additionalProperties: false });
