import type { ErrorSpec } from '@sdl/errors';

/** The gateway's stable codes. Upstream trouble is always 502/504 with a code, never a bare 500. */
export const GatewayErrors = {
  unauthorized: {
    code: 'GW_ERR_UNAUTHORIZED',
    statusCode: 401,
    message: 'missing or invalid API key',
  },
  // Requests whose shape the parser let through but an edge must refuse (src/threat-protection/).
  tooManyHeaders: { code: 'GW_ERR_TOO_MANY_HEADERS', statusCode: 431, message: 'too many header fields' },
  ambiguousHeader: {
    code: 'GW_ERR_AMBIGUOUS_HEADER',
    statusCode: 400,
    message: 'a header field that must appear once appears more than once',
  },
  httpVersion: { code: 'GW_ERR_HTTP_VERSION', statusCode: 505, message: 'only HTTP/1.0 and HTTP/1.1 are served' },
  jsonNotUtf8: { code: 'GW_ERR_JSON_NOT_UTF8', statusCode: 400, message: 'the JSON body is not valid UTF-8' },
  jsonTooDeep: { code: 'GW_ERR_JSON_TOO_DEEP', statusCode: 400, message: 'the JSON body is nested too deeply' },
  jsonDuplicateKey: {
    code: 'GW_ERR_JSON_DUPLICATE_KEY',
    statusCode: 400,
    message: 'the JSON body has an object with the same key twice',
  },
  jsonForbiddenKey: {
    code: 'GW_ERR_JSON_FORBIDDEN_KEY',
    statusCode: 400,
    message: 'the JSON body has a __proto__ or constructor.prototype key',
  },
  jsonNumberOutOfRange: {
    code: 'GW_ERR_JSON_NUMBER_OUT_OF_RANGE',
    statusCode: 400,
    message: 'the JSON body has a number that a double cannot hold exactly',
  },
  httpsRequired: {
    code: 'GW_ERR_HTTPS_REQUIRED',
    statusCode: 403,
    message: 'this gateway serves HTTPS only',
  },
  rateLimited: {
    code: 'GW_ERR_RATE_LIMITED',
    statusCode: 429,
    message: 'rate limit exceeded',
    retriable: true,
  },
  tenantConcurrency: {
    code: 'GW_ERR_TENANT_CONCURRENCY',
    statusCode: 429,
    message: 'too many requests of this API key in flight',
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
