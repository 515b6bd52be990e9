import type { ErrorSpec } from '@sdl/errors';

/** Stable codes of the quorum key-value store (`/v1/kv`). */
export const QuorumErrors = {
  invalidQuorum: {
    code: 'API_ERR_INVALID_QUORUM',
    statusCode: 400,
    message: 'w and r must be integers from 1 to the number of replicas',
  },
  invalidKey: {
    code: 'API_ERR_INVALID_KV_KEY',
    statusCode: 400,
    message: 'key must be 1 to 100 characters of A-Z a-z 0-9 _ . : -',
  },
  keyNotFound: { code: 'API_ERR_KV_KEY_NOT_FOUND', statusCode: 404, message: 'no replica that answered has this key' },
  // Fewer replicas answered than the request's W or R: nothing is claimed (a write may still have
  // reached fewer than W replicas, and a later read may find it: the store never rolls back).
  quorumUnavailable: {
    code: 'API_ERR_QUORUM_UNAVAILABLE',
    statusCode: 503,
    message: 'too few replicas answered for the requested quorum',
    retriable: true,
  },
  quorumDisabled: {
    code: 'API_ERR_QUORUM_DISABLED',
    statusCode: 503,
    message: 'no replicas configured (REDIS_LOCK_URLS is empty)',
  },
} as const satisfies Record<string, ErrorSpec>;
