import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Limiter } from '../limiter.js';

// Descriptor values become part of Redis keys: no braces (hash tags) and no control characters.
const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

const CheckBody = Type.Object(
  {
    descriptors: Type.Object(
      {
        client: Name,
        route: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[^{}\\u0000-\\u001f]+$' })),
        address: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f:.]+$' })),
        plan: Type.Optional(Name),
      },
      { additionalProperties: false },
    ),
    cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Grant what fits (`granted` < cost) rather than deny a cost that does not fit whole: batch leases. */
    partial: Type.Optional(Type.Boolean()),
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
  rule: Type.Optional(Type.String()),
  windowMs: Type.Optional(Type.Integer()),
  shadowDenied: Type.Optional(Type.Array(Type.String())),
  leases: Type.Optional(Type.Array(Type.Object({ key: Type.String(), id: Type.String() }))),
  granted: Type.Integer(),
  unitCost: Type.Optional(Type.Integer()),
});

const ReleaseBody = Type.Object(
  {
    leases: Type.Array(
      Type.Object(
        {
          key: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^{}\\u0000-\\u001f]+$' }),
          id: Type.String({ pattern: '^[0-9a-f-]{36}$' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 16 },
    ),
  },
  { additionalProperties: false },
);
type ReleaseBody = Static<typeof ReleaseBody>;

/**
 * `POST /v1/check`: reports a decision and never answers 429 itself; enforcing it is the
 * caller's job (the gateway), so one limiter can serve callers with different policies.
 */
export async function checkRoute(app: FastifyInstance, options: { limiter: Limiter }): Promise<void> {
  app.post<{ Body: CheckBody }>(
    '/v1/check',
    { schema: { body: CheckBody, response: { 200: CheckReply } } },
    async (req) =>
      options.limiter.check(req.body.descriptors, req.body.cost ?? 1, { partial: req.body.partial === true }),
  );
  // Ends the in-flight leases of a finished request; unknown or expired leases are a no-op.
  app.post<{ Body: ReleaseBody }>('/v1/release', { schema: { body: ReleaseBody } }, async (req, reply) => {
    await options.limiter.release(req.body.leases);
    return reply.status(204).send();
  });
}
