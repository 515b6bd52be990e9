import type { ErrorSpec } from './app-error.js';

/** Codes every service may answer with; services add their own prefixed codes (GW_ERR_*, LB_ERR_*, ...). */
export const CommonErrors = {
  validation: { code: 'ERR_VALIDATION', statusCode: 400, message: 'request is invalid' },
  malformedJson: { code: 'ERR_MALFORMED_JSON', statusCode: 400, message: 'body is not valid JSON' },
  emptyBody: { code: 'ERR_EMPTY_BODY', statusCode: 400, message: 'body is empty' },
  badRequest: { code: 'ERR_BAD_REQUEST', statusCode: 400, message: 'bad request' },
  // Answered by the HTTP parser's guard (see @sdl/server clientErrorHandler), the connection closed after.
  requestTimeout: { code: 'ERR_REQUEST_TIMEOUT', statusCode: 408, message: 'the request did not arrive in time' },
  headersTooLarge: {
    code: 'ERR_HEADERS_TOO_LARGE',
    statusCode: 431,
    message: 'the request line and headers are too large',
  },
  unauthorized: { code: 'ERR_UNAUTHORIZED', statusCode: 401, message: 'missing or invalid API key' },
  notFound: { code: 'ERR_NOT_FOUND', statusCode: 404, message: 'not found' },
  methodNotAllowed: { code: 'ERR_METHOD_NOT_ALLOWED', statusCode: 405, message: 'method not allowed' },
  conflict: { code: 'ERR_CONFLICT', statusCode: 409, message: 'conflict' },
  bodyTooLarge: { code: 'ERR_BODY_TOO_LARGE', statusCode: 413, message: 'body is too large' },
  unsupportedMediaType: {
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    statusCode: 415,
    message: 'unsupported content type',
  },
  internal: { code: 'ERR_INTERNAL', statusCode: 500, message: 'internal error' },
  // Load shedding (@sdl/server): the process is saturated; a retry after Retry-After may succeed here or elsewhere.
  overloaded: {
    code: 'ERR_OVERLOADED',
    statusCode: 503,
    message: 'the server is overloaded; retry later',
    retriable: true,
  },
  unavailable: {
    code: 'ERR_UNAVAILABLE',
    statusCode: 503,
    message: 'service unavailable',
    retriable: true,
  },
} as const satisfies Record<string, ErrorSpec>;
