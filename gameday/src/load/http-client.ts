import { Pool, errors } from 'undici';
import type { Outcome } from './stats.js';
import type { PlannedRequest } from './workload.js';

/** The answer to one planned request. */
export interface Sent {
  readonly outcome: Outcome;
  readonly status: number;
  readonly answer?: Record<string, unknown>;
  /** The `RateLimit-Policy` header, when the gateway sent one. */
  readonly policy?: string;
  /** The answer said `x-stale: true`: served from a copy the api could not prove fresh (PARTITION_MODE=availability). */
  readonly stale?: boolean;
}

/** Sends planned requests to one origin through an undici Pool; `close()` ends it. */
export interface Client {
  send(request: PlannedRequest): Promise<Sent>;
  close(): Promise<void>;
}

function failureOf(err: unknown): string {
  if (err instanceof errors.RequestAbortedError || (err as { name?: string }).name === 'TimeoutError') return 'timeout';
  if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError) return 'timeout';
  const code = (err as { code?: string }).code;
  return `error ${code ?? 'unknown'}`;
}

/**
 * A client of the gateway: at most `connections` sockets (the in-flight cap of the generator), each
 * request with its API key, JSON body and, on writes, its Idempotency-Key. A non-2xx answer is
 * named by its status and the stable `code` of its body; a request past `timeoutMs` is `timeout`.
 */
export function createClient(origin: string, options: { connections: number; timeoutMs: number }): Client {
  const pool = new Pool(origin, { connections: options.connections, pipelining: 1 });
  return {
    async send(request) {
      const headers: Record<string, string> = { 'x-api-key': request.key };
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
      try {
        const res = await pool.request({
          method: request.method,
          path: request.path,
          headers,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        const text = await res.body.text();
        let answer: Record<string, unknown> | undefined;
        try {
          answer = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          // not JSON (a proxy's HTML page): the status names it
        }
        const header = res.headers['ratelimit-policy'];
        const policy = typeof header === 'string' ? { policy: header } : {};
        const stale = res.headers['x-stale'] === 'true' ? { stale: true } : {};
        if (res.statusCode >= 200 && res.statusCode < 300)
          return { outcome: 'ok', status: res.statusCode, answer, ...policy, ...stale };
        const code = typeof answer?.code === 'string' ? ` ${answer.code}` : '';
        return { outcome: `${res.statusCode}${code}`, status: res.statusCode, answer, ...policy };
      } catch (err) {
        return { outcome: failureOf(err), status: 0 };
      }
    },
    close: () => pool.close(),
  };
}
