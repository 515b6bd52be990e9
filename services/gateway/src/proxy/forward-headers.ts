import type { IncomingHttpHeaders } from 'node:http';
import { appendForwardedFor, copyEndToEndHeaders, type HeaderMap } from '@sdl/http';

export type { HeaderMap } from '@sdl/http';

// Request headers the gateway owns or that must not leave the edge: credentials, and values it
// recomputes (length from the buffered body, host from the upstream, identity and forwarding).
const REQUEST_DROPPED = new Set([
  'host',
  'content-length',
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

export interface ForwardContext {
  readonly requestId: string;
  readonly clientId: string;
  readonly clientIp: string;
  readonly protocol: string;
}

/** The headers sent upstream: the client's safe headers plus the gateway's identity and forwarding ones. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): HeaderMap {
  const out = copyEndToEndHeaders(incoming, REQUEST_DROPPED);
  out['x-forwarded-for'] = appendForwardedFor(incoming['x-forwarded-for'], ctx.clientIp);
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
  return copyEndToEndHeaders(upstream, RESPONSE_DROPPED);
}
