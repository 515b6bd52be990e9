import { Type, type Static } from '@sinclair/typebox';

/** The fixed plan catalogue: a subscription copies its plan's price so later price changes do not rewrite history. */
export const PlanSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    amountCents: Type.Integer(),
    currency: Type.String(),
    periodMonths: Type.Integer(),
  },
  { additionalProperties: false },
);
export type Plan = Static<typeof PlanSchema>;

export const PLANS: readonly Plan[] = [
  { id: 'basic', name: 'Basic', amountCents: 500, currency: 'EUR', periodMonths: 1 },
  { id: 'pro', name: 'Pro', amountCents: 1500, currency: 'EUR', periodMonths: 1 },
  { id: 'team', name: 'Team', amountCents: 4900, currency: 'EUR', periodMonths: 1 },
  { id: 'pro-yearly', name: 'Pro (yearly)', amountCents: 15000, currency: 'EUR', periodMonths: 12 },
];

export function findPlan(id: string): Plan | undefined {
  return PLANS.find((p) => p.id === id);
}
