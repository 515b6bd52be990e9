import type { IncomingHttpHeaders } from 'node:http';

export type HeaderMap = Record<string, string | string[]>;

// RFC 9110 section 7.6.1: headers that describe one connection, never the message; a proxy drops them.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// Request headers the gateway owns or that must not leave the edge: credentials, and values it
// recomputes (length from the buffered body, host from the upstream, identity and forwarding).
const REQUEST_DROPPED = new Set([
  'host',
  'content-length',
  'expect',
  'x-api-key',
  'authorization',
  'x-client-id',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

// The gateway's own request id stays on the response, whatever the upstream echoes.
const RESPONSE_DROPPED = new Set(['x-request-id']);

/** Header names the `Connection` header declares hop-by-hop for this message. */
function connectionListed(connection: string | string[] | undefined): Set<string> {
  const value = Array.isArray(connection) ? connection.join(',') : (connection ?? '');
  return new Set(value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''));
}

function copyExcept(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  dropped: ReadonlySet<string>,
): HeaderMap {
  const listed = connectionListed(headers.connection);
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || listed.has(lower) || dropped.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

export interface ForwardContext {
  readonly requestId: string;
  readonly clientId: string;
  readonly clientIp: string;
  readonly protocol: string;
}

/** The headers sent upstream: the client's safe headers plus the gateway's identity and forwarding ones. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): HeaderMap {
  const out = copyExcept(incoming, REQUEST_DROPPED);
  const priorFor = incoming['x-forwarded-for'];
  const prior = Array.isArray(priorFor) ? priorFor.join(', ') : priorFor;
  out['x-forwarded-for'] = prior === undefined || prior === '' ? ctx.clientIp : `${prior}, ${ctx.clientIp}`;
  out['x-forwarded-proto'] = ctx.protocol;
  if (incoming.host !== undefined) out['x-forwarded-host'] = incoming.host;
  out['x-request-id'] = ctx.requestId;
  out['x-client-id'] = ctx.clientId;
  return out;
}

/** The upstream's response headers minus hop-by-hop ones, to be sent to the client. */
export function downstreamResponseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
): HeaderMap {
  return copyExcept(upstream, RESPONSE_DROPPED);
}
