import { AppError, CommonErrors } from '@sdl/errors';
import { ApiErrors } from '../errors.js';

// Socket-level failures: the server is down, unreachable or went away mid-query.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// SQLSTATEs that mean "this server cannot serve now", not "your query is wrong":
// 57P01..57P03 shutdown / cannot connect now, 53300 too many connections, 57014 statement timeout,
// 25006 read-only transaction (a demoted primary or a standby); class 08 is handled below.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25006']);

// pg (and pg-pool) report timeouts and lost connections as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'connection timeout',
  'Client has encountered a connection error',
  'Client was closed',
];

/** True when the error says the shard cannot be reached or cannot serve right now (retriable). */
export function isShardUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== err && isShardUnavailable(cause)) return true;
  // Node wraps parallel connect attempts (IPv4 and IPv6) into one AggregateError.
  return err instanceof AggregateError && err.errors.some((e) => isShardUnavailable(e));
}

/**
 * What a failed shard operation becomes for the client: 503 API_ERR_SHARD_UNAVAILABLE when the
 * shard is unreachable (retriable), otherwise the original error, which the error handler hides
 * behind ERR_INTERNAL so no SQL text ever reaches a client.
 */
export function toShardError(err: unknown, shard: number): unknown {
  if (err instanceof AppError) return err;
  // SQLSTATE class 22 (data exception: bad encoding, NUL byte, out of range) is the client's input
  // that slipped past the schema: a 400, never a 500.
  if (typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('22')) {
    return new AppError(CommonErrors.validation, { message: 'a value cannot be stored', cause: err });
  }
  if (isShardUnavailable(err)) {
    return new AppError(ApiErrors.shardUnavailable, {
      details: { shard },
      cause: err,
      headers: { 'retry-after': '1' },
    });
  }
  return err;
}
