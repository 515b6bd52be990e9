import type { IncomingMessage } from 'node:http';

/** The client's request body as handed to each try. */
export interface RequestBody {
  /** A fresh view of the body for one try, or undefined when the request has none. */
  forTry(): AsyncIterable<Buffer> | undefined;
  /**
   * Whether another try can send the body: a streamed body only until a try began reading it (it
   * is not kept), a buffered one always.
   */
  readonly resendable: boolean;
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// Most proxied requests (GETs) have no body: they share this one.
const NO_BODY: RequestBody = { forTry: () => undefined, resendable: true };

/**
 * Wraps the client's stream so a failed try cannot hurt it: undici destroys a stream body when a
 * try fails (which would destroy the client's socket too), but it only ends an async iterable. The
 * iterable is lazy: if a try fails before undici pulled the first chunk (connect refused, connect
 * timeout), nothing was consumed and the next try gets the body whole.
 */
export function createRequestBody(req: IncomingMessage): RequestBody {
  if (!hasBody(req)) return NO_BODY;
  let started = false;
  async function* stream(): AsyncGenerator<Buffer> {
    started = true;
    for await (const chunk of req.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
  }
  return {
    forTry: stream,
    get resendable() {
      return !started;
    },
  };
}

/**
 * The whole body in memory, for requests that may be resent after a try that reached the upstream
 * (POSTs with an Idempotency-Key): only when Content-Length declares at most `limit` bytes;
 * undefined otherwise (the body stays streamed). Rejects if the client goes away mid-body.
 */
export async function createBufferedBody(req: IncomingMessage, limit: number): Promise<RequestBody | undefined> {
  const length = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length) || length > limit)
    return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return {
    forTry: async function* () {
      yield body;
    },
    resendable: true,
  };
}
