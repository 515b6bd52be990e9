import { Type, type Static } from '@sinclair/typebox';
import { ACCOUNT_ID_PATTERN } from '../ids.js';

/** An account as clients, the cache and `account.created` events all see it. */
export const AccountSchema = Type.Object(
  {
    id: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }),
    /** The owner: only this tenant's requests see the account (src/tenancy/). */
    tenant: Type.String(),
    email: Type.String(),
    name: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Account = Static<typeof AccountSchema>;

/**
 * `POST /v1/accounts`: a format-ish email (3..254 chars, one `@` between non-blanks) and a name.
 * Control characters are refused here: Postgres rejects NUL in text, which must be a 400, not a 500.
 */
export const CreateAccountSchema = Type.Object(
  {
    email: Type.String({
      minLength: 3,
      maxLength: 254,
      pattern: '^[^@\\s\\x00-\\x1f\\x7f]+@[^@\\s\\x00-\\x1f\\x7f]+$',
    }),
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^(?=.*\\S)[^\\x00-\\x1f\\x7f]+$' }),
  },
  { additionalProperties: false },
);
export type CreateAccountInput = Static<typeof CreateAccountSchema>;

/** `PATCH /v1/accounts/:id`: any non-empty subset of the create fields. */
export const UpdateAccountSchema = Type.Object(
  {
    email: Type.Optional(CreateAccountSchema.properties.email),
    name: Type.Optional(CreateAccountSchema.properties.name),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAccountInput = Static<typeof UpdateAccountSchema>;

/** Narrows anything (a cache value, an event payload) to an Account, or undefined. */
export function asAccount(value: unknown): Account | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  // A cached account without its owner (written before tenants existed) is unreadable: a miss.
  const fields = ['id', 'tenant', 'email', 'name', 'createdAt', 'updatedAt'] as const;
  if (!fields.every((f) => typeof v[f] === 'string')) return undefined;
  return {
    id: v.id as string,
    tenant: v.tenant as string,
    email: v.email as string,
    name: v.name as string,
    createdAt: v.createdAt as string,
    updatedAt: v.updatedAt as string,
  };
}
