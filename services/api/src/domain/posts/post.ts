import { Type, type Static } from '@sinclair/typebox';
import { ACCOUNT_ID_PATTERN, POST_ID_PATTERN } from '../ids.js';

/** A post as clients, the cache and post events see it (view counts have their own route). */
export const PostSchema = Type.Object(
  {
    id: Type.String({ pattern: POST_ID_PATTERN.source }),
    accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }),
    title: Type.String(),
    body: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Post = Static<typeof PostSchema>;

/** Titles are one line; bodies may hold newlines and tabs but no other control characters (NUL is a 500 in Postgres otherwise). */
export const CreatePostSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200, pattern: '^(?=.*\\S)[^\\x00-\\x1f\\x7f]+$' }),
    body: Type.String({ maxLength: 10_000, pattern: '^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$' }),
  },
  { additionalProperties: false },
);
export type CreatePostInput = Static<typeof CreatePostSchema>;

export const PostPageSchema = Type.Object(
  {
    items: Type.Array(PostSchema),
    /** Opaque; null on the last page. */
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type PostPage = Static<typeof PostPageSchema>;

export const ViewsSchema = Type.Object(
  { postId: Type.String(), views: Type.Integer() },
  { additionalProperties: false },
);

/** Narrows a cache value to a Post, or undefined. */
export function asPost(value: unknown): Post | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const fields = ['id', 'accountId', 'title', 'body', 'createdAt', 'updatedAt'] as const;
  if (!fields.every((f) => typeof v[f] === 'string')) return undefined;
  return {
    id: v.id as string,
    accountId: v.accountId as string,
    title: v.title as string,
    body: v.body as string,
    createdAt: v.createdAt as string,
    updatedAt: v.updatedAt as string,
  };
}

/** The cache identity of a post: its account is part of it, so a wrong account never poisons the right one. */
export function postCacheId(accountId: string, postId: string): string {
  return `${accountId}:${postId}`;
}

/** The list cursor is opaque to clients: base64url of `{ v: 1, id }`, the last id of the page. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, id: lastId })).toString('base64url');
}

/** The last id a cursor carries, or undefined when it is not one this api issued. */
export function decodeCursor(cursor: string): string | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { v, id } = value as { v?: unknown; id?: unknown };
    return v === 1 && typeof id === 'string' && POST_ID_PATTERN.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
