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
