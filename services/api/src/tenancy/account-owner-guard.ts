import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AccountResult, AccountService } from '../domain/accounts/account-service.js';
import { checkAccountId, checkPostId, checkSubscriptionId } from '../routes/params.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account of an account-scoped route, read by the owner check (undefined elsewhere). */
    ownedAccount: AccountResult | undefined;
  }
}

export interface AccountOwnerGuardOptions {
  readonly accounts: AccountService;
}

// Every route under one account: `/v1/accounts/:id` and `/v1/accounts/:accountId/...`.
const ACCOUNT_SCOPED = /^\/v1\/accounts\/:(id|accountId)(\/|$)/;

/**
 * OWASP API1 (broken object level authorization), in one place: every account-scoped route,
 * whoever registers it, first checks that the caller's tenant owns the account. Another tenant's
 * account answers 404 API_ERR_ACCOUNT_NOT_FOUND exactly as a missing one (never 403: nothing is
 * revealed), before the handler does any work. It runs as a preHandler, after schema validation,
 * which depends on the request alone and so reveals nothing either; the ids' formats are checked
 * first (400 with their codes, no database work). The owner is read through the account cache,
 * whose entries carry it.
 */
async function accountOwnerGuard(app: FastifyInstance, options: AccountOwnerGuardOptions): Promise<void> {
  app.decorateRequest('ownedAccount', undefined);
  app.addHook('preHandler', async (req) => {
    const scoped = ACCOUNT_SCOPED.exec(req.routeOptions.url ?? '');
    if (scoped === null) return;
    const params = req.params as Record<string, string | undefined>;
    const accountId = checkAccountId(params[scoped[1]!] ?? '');
    if (params.postId !== undefined) checkPostId(params.postId);
    if (params.subscriptionId !== undefined) checkSubscriptionId(params.subscriptionId);
    req.ownedAccount = await options.accounts.get(accountId, req.tenant);
  });
}

export const accountOwnerGuardPlugin = fp(accountOwnerGuard, {
  name: 'account-owner-guard',
  fastify: '5.x',
  dependencies: ['gateway-trust'],
});
