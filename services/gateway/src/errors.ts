import type { ErrorSpec } from '@sdl/errors';

/** The gateway's stable codes. Upstream trouble is always 502/504 with a code, never a bare 500. */
export const GatewayErrors = {
  unauthorized: {
    code: 'GW_ERR_UNAUTHORIZED',
    statusCode: 401,
    message: 'missing or invalid API key',
  },
  rateLimited: {
    code: 'GW_ERR_RATE_LIMITED',
    statusCode: 429,
    message: 'rate limit exceeded',
    retriable: true,
  },
  ratelimitUnavailable: {
    code: 'GW_ERR_RATELIMIT_UNAVAILABLE',
    statusCode: 503,
    message: 'the rate limiter is unavailable',
    retriable: true,
  },
  // Nothing reached the upstream (connect failed or the connection dropped): safe to send again.
  upstreamUnavailable: {
    code: 'GW_ERR_UPSTREAM_UNAVAILABLE',
    statusCode: 502,
    message: 'the upstream is unavailable',
    retriable: true,
  },
  // The upstream may have acted on the request; only the caller knows whether repeating it is safe.
  upstreamTimeout: {
    code: 'GW_ERR_UPSTREAM_TIMEOUT',
    statusCode: 504,
    message: 'the upstream did not answer in time',
    retriable: false,
  },
} as const satisfies Record<string, ErrorSpec>;
