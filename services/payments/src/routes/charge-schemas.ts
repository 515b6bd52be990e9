import { Type, type Static } from '@sinclair/typebox';

export const ChargeBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'minor units' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    reference: Type.String({ minLength: 1, maxLength: 200 }),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 500 }), { maxProperties: 50 })),
  },
  { additionalProperties: false },
);
export type ChargeBody = Static<typeof ChargeBody>;

export const ChargeReply = Type.Object({
  id: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  reference: Type.String(),
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  status: Type.Literal('succeeded'),
  idempotencyKey: Type.String(),
  createdAt: Type.String(),
});

export const ChargeParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export type ChargeParams = Static<typeof ChargeParams>;

// No type coercion anywhere, so numbers in the query string are matched as text.
export const ListQuery = Type.Object(
  {
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const ListReply = Type.Object({ data: Type.Array(ChargeReply), hasMore: Type.Boolean() });

export const StatsReply = Type.Object({ charges: Type.Integer(), replays: Type.Integer() });

export const AuditQuery = Type.Object(
  {
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    detail: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditReply = Type.Object({
  charges: Type.Integer(),
  references: Type.Integer(),
  keys: Type.Integer(),
  duplicateReferences: Type.Array(
    Type.Object({ reference: Type.String(), charges: Type.Integer(), keys: Type.Array(Type.String()) }),
  ),
  duplicateKeys: Type.Array(Type.Object({ key: Type.String(), charges: Type.Integer() })),
  replays: Type.Integer(),
  replayedKeys: Type.Integer(),
  byReference: Type.Optional(Type.Record(Type.String(), Type.Integer())),
});
