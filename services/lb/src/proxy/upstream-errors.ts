/** How a try failed, which decides retries, passive health and the answer to the client. */
export type FailureKind = 'connect' | 'timeout' | 'reset' | 'aborted' | 'other';

// Nothing reached the upstream: safe to retry any method elsewhere. Killed containers show up as
// EHOSTUNREACH or a connect timeout (their IP vanishes), removed ones as DNS failures.
const CONNECT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// ETIMEDOUT is here, not in CONNECT: the kernel also raises it on established sockets.
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError of per-address errors.
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0]);
  return cause === undefined ? undefined : codeOf(cause);
}

// undici's RequestAbortedError and AbortError, Node's AbortError (an aborted stream or signal).
const ABORTED = new Set(['UND_ERR_ABORTED', 'UND_ERR_ABORT', 'ABORT_ERR']);

export function classifyFailure(err: unknown): FailureKind {
  const code = codeOf(err);
  // An AbortSignal's default reason is a DOMException, whose code is a number.
  if (err instanceof DOMException && err.code === DOMException.ABORT_ERR) return 'aborted';
  if (code === undefined) return 'other';
  if (ABORTED.has(code)) return 'aborted';
  if (CONNECT.has(code)) return 'connect';
  if (TIMEOUT.has(code)) return 'timeout';
  if (RESET.has(code)) return 'reset';
  return 'other';
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Whether a request may run twice with the effect of once: an idempotent method, or a keyed POST. */
export function isIdempotent(method: string, headers: { readonly [name: string]: unknown }): boolean {
  return IDEMPOTENT.has(method) || (method === 'POST' && typeof headers['idempotency-key'] === 'string');
}

/**
 * A failed try may go to another host when nothing reached the upstream (any request), or, for
 * idempotent requests (idempotent methods, POSTs with an Idempotency-Key), when the upstream timed
 * out or reset the connection; in both cases only if the body can be sent again.
 */
export function isRetriable(kind: FailureKind, idempotent: boolean, bodyResendable: boolean): boolean {
  if (!bodyResendable) return false;
  if (kind === 'connect') return true;
  return idempotent && (kind === 'timeout' || kind === 'reset');
}
