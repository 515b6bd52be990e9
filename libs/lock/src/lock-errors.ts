import type { ErrorSpec } from '@sdl/errors';

/** Stable codes of the lock library; callers match on `code`. */
export const LockErrors = {
  notAcquired: {
    code: 'LOCK_ERR_NOT_ACQUIRED',
    statusCode: 409,
    message: 'lock not acquired: no majority of instances within the validity time',
    retriable: true,
  },
  notExtended: {
    code: 'LOCK_ERR_NOT_EXTENDED',
    statusCode: 409,
    message: 'lock not extended: it expired, or so many instances refused that no majority can hold its token',
    retriable: false,
  },
  extendUnconfirmed: {
    code: 'LOCK_ERR_EXTEND_UNCONFIRMED',
    statusCode: 503,
    message: 'lock not extended: too few instances answered in time; it stays valid until its validity runs out',
    retriable: true,
  },
  instanceTimeout: {
    code: 'LOCK_ERR_INSTANCE_TIMEOUT',
    statusCode: 503,
    message: 'a lock instance did not answer within the per-instance timeout',
    retriable: true,
  },
  badTtl: { code: 'LOCK_ERR_BAD_TTL', statusCode: 400, message: 'the TTL must be a positive integer of ms' },
} as const satisfies Record<string, ErrorSpec>;
