import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { appendForwardedFor, copyEndToEndHeaders, type HeaderMap } from '@sdl/http';

// Host is left to the pool: the upstream's own authority.
const NO_HOST = new Set(['host']);

/**
 * The headers sent upstream: end-to-end headers of the client's request, the request id, and the
 * x-forwarded-* trail.
 */
export function upstreamRequestHeaders(req: IncomingMessage, requestId: string): HeaderMap {
  const headers = copyEndToEndHeaders(req.headers, NO_HOST);
  headers['x-request-id'] = requestId;
  const client = req.socket.remoteAddress;
  if (client !== undefined) headers['x-forwarded-for'] = appendForwardedFor(req.headers['x-forwarded-for'], client);
  if (req.headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';
  if (req.headers['x-forwarded-host'] === undefined && req.headers.host !== undefined) {
    headers['x-forwarded-host'] = req.headers.host;
  }
  return headers;
}

/** The upstream's end-to-end response headers, plus which host answered and the request id. */
export function downstreamResponseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
  hostId: string,
  requestId: string,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = copyEndToEndHeaders(upstream);
  headers['x-upstream'] = hostId;
  headers['x-request-id'] ??= requestId;
  return headers;
}
