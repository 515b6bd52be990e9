import type { IncomingMessage } from 'node:http';

/** The client's request body as handed to each try. */
export interface RequestBody {
  /** A fresh view of the body for one try, or undefined when the request has none. */
  forTry(): AsyncIterable<Buffer> | undefined;
  /** True once a try began reading the body: it is streamed, not buffered, so it cannot be sent again. */
  readonly started: boolean;
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// Most proxied requests (GETs) have no body: they share this one.
const NO_BODY: RequestBody = { forTry: () => undefined, started: false };

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
    get started() {
      return started;
    },
  };
}
