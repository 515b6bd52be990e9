import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Leadership } from '../election/leadership.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const StatusSchema = Type.Object(
  {
    node: Type.String({ description: 'this replica' }),
    leader: Type.Boolean({ description: 'whether this replica leads now (its lease clock is valid)' }),
    leaderNode: Nullable(Type.String({ description: 'who etcd says leads; null if nobody or etcd did not answer' })),
    token: Nullable(Type.String({ description: 'fencing token (decimal) while this replica leads' })),
    since: Nullable(Type.String({ format: 'date-time', description: 'when this replica was elected' })),
  },
  { additionalProperties: false },
);

/** `GET /v1/status`: who leads, seen from this replica. */
export async function statusRoutes(app: FastifyInstance, options: { readonly leadership: Leadership }): Promise<void> {
  app.get('/v1/status', { schema: { response: { 200: StatusSchema } } }, async () => options.leadership.status());
}
