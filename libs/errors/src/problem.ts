import { AppError } from './app-error.js';
import { CommonErrors } from './common-errors.js';

/** The JSON body of every error response (RFC 9457 problem details plus a stable `code`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  retriable: boolean;
  requestId?: string;
  details?: unknown;
}

interface FrameworkError {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
  message?: unknown;
}

// Framework (fastify) codes that describe a client mistake, mapped onto our stable codes.
const frameworkCodes: Readonly<Record<string, keyof typeof CommonErrors>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'bodyTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupportedMediaType',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'emptyBody',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformedJson',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'badRequest',
  FST_ERR_VALIDATION: 'validation',
};

/**
 * Turns any thrown value into a problem body. 5xx internals are never shown: only AppErrors
 * (whose messages are written for clients) keep their message.
 */
export function toProblem(err: unknown, requestId?: string): Problem {
  const make = (code: string, status: number, title: string, retriable: boolean, details?: unknown): Problem => ({
    type: `urn:sdl:error:${code}`,
    title,
    status,
    code,
    retriable,
    ...(requestId === undefined ? {} : { requestId }),
    ...(details === undefined ? {} : { details }),
  });
  if (err instanceof AppError) {
    return make(err.code, err.statusCode, err.message, err.retriable, err.details);
  }
  const fe = (typeof err === 'object' && err !== null ? err : {}) as FrameworkError;
  if (Array.isArray(fe.validation)) {
    const spec = CommonErrors.validation;
    return make(spec.code, spec.statusCode, String(fe.message ?? spec.message), false, fe.validation);
  }
  const mapped = typeof fe.code === 'string' ? frameworkCodes[fe.code] : undefined;
  if (mapped !== undefined) {
    const spec = CommonErrors[mapped];
    return make(spec.code, spec.statusCode, spec.message, false);
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 400 && err instanceof SyntaxError) {
    const spec = CommonErrors.malformedJson;
    return make(spec.code, spec.statusCode, spec.message, false);
  }
  if (status >= 400 && status < 500) {
    return make(CommonErrors.badRequest.code, status, String(fe.message ?? 'bad request'), false);
  }
  const spec = CommonErrors.internal;
  return make(spec.code, spec.statusCode, spec.message, false);
}
