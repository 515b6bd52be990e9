import { AppError } from '@sdl/errors';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AccountSchema, CreateAccountSchema, type CreateAccountInput } from '../account.js';
import { isAccountId } from '../account-id.js';
import type { AccountResult, AccountService } from '../account-service.js';
import { ApiErrors } from '../errors.js';

export interface AccountRoutesOptions {
  readonly accounts: AccountService;
}

// The id is checked by hand, not by a params pattern: a malformed id has its own stable code.
const IdParamsSchema = Type.Object({ id: Type.String() });

function explain(reply: FastifyReply, result: AccountResult): void {
  void reply.headers({
    'x-shard': String(result.route.shard),
    'x-partition': String(result.route.partition),
    'x-cache': result.cache,
  });
}

/** `POST /v1/accounts` and `GET /v1/accounts/:id`. */
export async function accountRoutes(app: FastifyInstance, options: AccountRoutesOptions): Promise<void> {
  const { accounts } = options;

  app.post<{ Body: CreateAccountInput }>(
    '/v1/accounts',
    { schema: { body: CreateAccountSchema, response: { 201: AccountSchema } } },
    async (req, reply) => {
      const result = await accounts.create(req.body);
      explain(reply, result);
      return reply.status(201).header('location', `/v1/accounts/${result.account.id}`).send(result.account);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/accounts/:id',
    { schema: { params: IdParamsSchema, response: { 200: AccountSchema } } },
    async (req, reply) => {
      if (!isAccountId(req.params.id)) throw new AppError(ApiErrors.invalidId, { details: { id: req.params.id } });
      const result = await accounts.get(req.params.id);
      explain(reply, result);
      return result.account;
    },
  );
}
