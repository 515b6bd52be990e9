import { createHash } from 'node:crypto';
import { AppError } from '@sdl/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../errors.js';

/** A create that names itself: retried with the same key, it answers what the first try made. */
export interface IdempotentRequest {
  readonly key: string;
  /** What the request asked for (route, params, body): the same key with another request is a 422. */
  readonly hash: string;
}

// Visible ASCII, as Stripe and the IETF draft (draft-ietf-httpapi-idempotency-key-header) allow.
const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted: a retry that orders its fields differently is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The request's `Idempotency-Key` with a hash of what it asks for; undefined without the header.
 * A malformed or repeated header is a 400 API_ERR_INVALID_IDEMPOTENCY_KEY.
 */
export function idempotencyOf(req: FastifyRequest): IdempotentRequest | undefined {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw new AppError(ApiErrors.invalidIdempotencyKey, { details: { header: 'idempotency-key' } });
  }
  const what = `${req.method} ${req.routeOptions.url ?? ''} ${canonical(req.params)} ${canonical(req.body)}`;
  return { key: header, hash: createHash('sha256').update(what).digest('base64url') };
}

/** Marks an answer that a retry got from the first try's row (`idempotent-replayed: true`). */
export function markReplayed(reply: FastifyReply, replayed: boolean): void {
  if (replayed) void reply.header('idempotent-replayed', 'true');
}
