import type { FastifyInstance } from 'fastify';
import { BillingLedgerSchema, type BillingLedgerRepository } from '../domain/billing/billing-ledger.js';
import type { ShardRouter } from '../sharding/shard-router.js';
import { AccountParamsSchema, checkAccountId, explain } from './params.js';

/** `GET /v1/accounts/:accountId/billing`: the account's billing ledger (a projection of billing.events). */
export async function billingRoutes(
  app: FastifyInstance,
  options: { readonly router: ShardRouter; readonly ledger: BillingLedgerRepository },
): Promise<void> {
  app.get<{ Params: { accountId: string } }>(
    '/v1/accounts/:accountId/billing',
    { schema: { params: AccountParamsSchema, response: { 200: BillingLedgerSchema } } },
    async (req, reply) => {
      const accountId = checkAccountId(req.params.accountId);
      const route = options.router.route(accountId);
      explain(reply, route, 'bypass');
      return options.ledger.get(route, accountId);
    },
  );
}
