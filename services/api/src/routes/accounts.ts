import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AccountSchema,
  CreateAccountSchema,
  UpdateAccountSchema,
  type CreateAccountInput,
  type UpdateAccountInput,
} from '../domain/accounts/account.js';
import type { AccountService } from '../domain/accounts/account-service.js';
import { checkAccountId, explain } from './params.js';
import { idempotencyOf, markReplayed } from '../idempotency/idempotency-key.js';

export interface AccountRoutesOptions {
  readonly accounts: AccountService;
  readonly cacheMode: string;
}

const IdParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** Accounts: create (owned by the caller's tenant), get, update (PATCH), delete. */
export async function accountRoutes(app: FastifyInstance, options: AccountRoutesOptions): Promise<void> {
  const { accounts, cacheMode } = options;

  app.post<{ Body: CreateAccountInput }>(
    '/v1/accounts',
    { schema: { body: CreateAccountSchema, response: { 201: AccountSchema } } },
    async (req, reply) => {
      const result = await accounts.create(req.body, req.tenant, idempotencyOf(req));
      explain(reply, result.route, result.cache, cacheMode);
      markReplayed(reply, result.replayed === true);
      return reply.status(201).header('location', `/v1/accounts/${result.account.id}`).send(result.account);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/accounts/:id',
    { schema: { params: IdParamsSchema, response: { 200: AccountSchema } } },
    async (req, reply) => {
      // The owner check (src/tenancy/) has read it already.
      const result = req.ownedAccount ?? (await accounts.get(checkAccountId(req.params.id), req.tenant));
      explain(reply, result.route, result.cache, cacheMode);
      return result.account;
    },
  );

  app.patch<{ Params: { id: string }; Body: UpdateAccountInput }>(
    '/v1/accounts/:id',
    { schema: { params: IdParamsSchema, body: UpdateAccountSchema, response: { 200: AccountSchema } } },
    async (req, reply) => {
      const result = await accounts.update(checkAccountId(req.params.id), req.body);
      explain(reply, result.route, result.cache, cacheMode);
      return result.account;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/accounts/:id',
    { schema: { params: IdParamsSchema } },
    async (req, reply) => {
      const route = await accounts.delete(checkAccountId(req.params.id));
      explain(reply, route, 'bypass', cacheMode);
      return reply.status(204).send();
    },
  );
}
