import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PLANS, PlanSchema } from '../domain/subscriptions/plans.js';
import type { SubscriptionService } from '../domain/subscriptions/subscription-service.js';
import {
  ChargeListSchema,
  ChoosePlanSchema,
  SubscriptionSchema,
  lastWriteToken,
  type ChoosePlanInput,
} from '../domain/subscriptions/subscription.js';
import {
  AccountParamsSchema,
  SubscriptionParamsSchema,
  checkAccountId,
  checkSubscriptionId,
  explain,
} from './params.js';
import { idempotencyOf, markReplayed } from '../idempotency/idempotency-key.js';

export interface SubscriptionRoutesOptions {
  readonly subscriptions: SubscriptionService;
}

type AccountParams = { accountId: string };
type SubscriptionParams = { accountId: string; subscriptionId: string };

/** The plan catalogue, and subscriptions under their account (never cached: money data). */
export async function subscriptionRoutes(app: FastifyInstance, options: SubscriptionRoutesOptions): Promise<void> {
  const { subscriptions } = options;

  app.get('/v1/plans', { schema: { response: { 200: Type.Object({ items: Type.Array(PlanSchema) }) } } }, async () => ({
    items: PLANS,
  }));

  app.post<{ Params: AccountParams; Body: ChoosePlanInput }>(
    '/v1/accounts/:accountId/subscriptions',
    { schema: { params: AccountParamsSchema, body: ChoosePlanSchema, response: { 201: SubscriptionSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const { value: subscription, replayed } = await subscriptions.choose(
        accountId,
        req.body.plan,
        idempotencyOf(req),
      );
      explain(reply, subscriptions.route(accountId), 'bypass');
      markReplayed(reply, replayed);
      const location = `/v1/accounts/${accountId}/subscriptions/${subscription.id}`;
      return reply.status(201).header('location', location).send(subscription);
    },
  );

  app.get<{ Params: SubscriptionParams }>(
    '/v1/accounts/:accountId/subscriptions/:subscriptionId',
    { schema: { params: SubscriptionParamsSchema, response: { 200: SubscriptionSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const subscription = await subscriptions.get(accountId, checkSubscriptionId(req.params.subscriptionId));
      explain(reply, subscriptions.route(accountId), 'bypass');
      return subscription;
    },
  );

  app.post<{ Params: SubscriptionParams }>(
    '/v1/accounts/:accountId/subscriptions/:subscriptionId/cancel',
    { schema: { params: SubscriptionParamsSchema, response: { 200: SubscriptionSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const subscription = await subscriptions.cancel(accountId, checkSubscriptionId(req.params.subscriptionId));
      explain(reply, subscriptions.route(accountId), 'bypass');
      return subscription;
    },
  );

  app.get<{ Params: SubscriptionParams }>(
    '/v1/accounts/:accountId/subscriptions/:subscriptionId/charges',
    { schema: { params: SubscriptionParamsSchema, response: { 200: ChargeListSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const items = await subscriptions.charges(accountId, checkSubscriptionId(req.params.subscriptionId));
      explain(reply, subscriptions.route(accountId), 'bypass');
      // The fencing token of the last billing write: which leader's hand is on these rows.
      const fence = lastWriteToken(items);
      if (fence !== undefined) void reply.header('x-fence', fence);
      return { items };
    },
  );
}
