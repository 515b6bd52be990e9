import type { ErrorSpec } from '@sdl/errors';

/** The lb's own answers; every other status comes from an upstream. */
export const LbErrors = {
  noHealthyUpstream: {
    code: 'LB_ERR_NO_HEALTHY_UPSTREAM',
    statusCode: 503,
    message: 'no healthy upstream',
    retriable: true,
  },
  upstreamUnavailable: {
    code: 'LB_ERR_UPSTREAM_UNAVAILABLE',
    statusCode: 502,
    message: 'upstream unavailable',
    retriable: true,
  },
  upstreamTimeout: {
    code: 'LB_ERR_UPSTREAM_TIMEOUT',
    statusCode: 504,
    message: 'upstream timed out',
    retriable: true,
  },
  // The connection broke after the request was (maybe) sent: not retriable, it may have had an effect.
  upstreamReset: {
    code: 'LB_ERR_UPSTREAM_RESET',
    statusCode: 502,
    message: 'upstream closed the connection',
    retriable: false,
  },
} as const satisfies Record<string, ErrorSpec>;

/** Answers of the admin API (PUT /admin/lb/strategy). */
export const LbAdminErrors = {
  unknownStrategy: { code: 'LB_ERR_UNKNOWN_STRATEGY', statusCode: 400, message: 'unknown strategy' },
  badHashKey: {
    code: 'LB_ERR_BAD_HASH_KEY',
    statusCode: 400,
    message: 'hash key must be client, header:<name> or path:<index>',
  },
  badWeights: {
    code: 'LB_ERR_BAD_WEIGHTS',
    statusCode: 400,
    message: 'weights must map known host ids to numbers 0..1000 or null',
  },
  /** LB_WORKERS > 1: a worker did not answer the primary in time (its reply timeout). */
  workersUnavailable: {
    code: 'LB_ERR_WORKERS_UNAVAILABLE',
    statusCode: 503,
    message: 'not every lb worker answered; retry',
  },
} as const satisfies Record<string, ErrorSpec>;
