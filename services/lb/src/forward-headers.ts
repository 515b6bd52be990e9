import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

// Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, never the next one. `expect` is
// dropped too: undici does not do 100-continue and the body is streamed anyway.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

type Headers = Record<string, string | string[] | undefined>;

// Plus whatever the sender listed in its own Connection header.
function copyEndToEnd(headers: Headers, skip: ReadonlySet<string>): Record<string, string | string[]> {
  const listed = headers.connection;
  const extra = (Array.isArray(listed) ? listed.join(',') : (listed ?? ''))
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || skip.has(name) || extra.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

const NO_HOST = new Set(['host']);
const NONE = new Set<string>();

/**
 * The headers sent upstream: end-to-end headers of the client's request, the request id, and the
 * x-forwarded-* trail. Host is left to the pool (the upstream's own authority).
 */
export function upstreamRequestHeaders(req: IncomingMessage, requestId: string): Record<string, string | string[]> {
  const headers = copyEndToEnd(req.headers as IncomingHttpHeaders, NO_HOST);
  headers['x-request-id'] = requestId;
  const client = req.socket.remoteAddress;
  const prior = req.headers['x-forwarded-for'];
  if (client !== undefined) headers['x-forwarded-for'] = prior === undefined ? client : `${prior}, ${client}`;
  if (req.headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';
  if (req.headers['x-forwarded-host'] === undefined && req.headers.host !== undefined) {
    headers['x-forwarded-host'] = req.headers.host;
  }
  return headers;
}

/** The upstream's end-to-end response headers, plus which host answered and the request id. */
export function downstreamResponseHeaders(upstream: Headers, hostId: string, requestId: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = copyEndToEnd(upstream, NONE);
  headers['x-upstream'] = hostId;
  headers['x-request-id'] ??= requestId;
  return headers;
}
