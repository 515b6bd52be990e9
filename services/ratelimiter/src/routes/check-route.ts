import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Limiter } from '../limiter.js';

const CheckBody = Type.Object(
  {
    descriptors: Type.Object(
      {
        client: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }),
        route: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      },
      { additionalProperties: false },
    ),
    cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
type CheckBody = Static<typeof CheckBody>;

const CheckReply = Type.Object({
  allowed: Type.Boolean(),
  limit: Type.Integer(),
  remaining: Type.Integer(),
  resetMs: Type.Integer(),
  failMode: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
});

/**
 * `POST /v1/check`: reports a decision and never answers 429 itself; enforcing it is the
 * caller's job (the gateway), so one limiter can serve callers with different policies.
 */
export async function checkRoute(app: FastifyInstance, options: { limiter: Limiter }): Promise<void> {
  app.post<{ Body: CheckBody }>(
    '/v1/check',
    { schema: { body: CheckBody, response: { 200: CheckReply } } },
    async (req) => options.limiter.check(req.body.descriptors, req.body.cost ?? 1),
  );
}
