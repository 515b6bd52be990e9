import type { IncomingHttpHeaders } from 'node:http';
import { copyEndToEndHeaders, type HeaderMap } from '@sdl/http';

export type { HeaderMap } from '@sdl/http';

/** The tenant (the API key's client name) the api scopes every account to; the api reads it only from us. */
export const TENANT_HEADER = 'x-tenant-id';
/** Proves to the api that a request came through the gateway (GATEWAY_SECRET, the api's too). */
export const GATEWAY_SECRET_HEADER = 'x-gateway-secret';

// Request headers the gateway owns or that must not leave the edge: credentials, and values it
// recomputes (length from the buffered body, host from the upstream, identity and forwarding).
// A client's copy of an identity header is dropped, whatever its case or its count.
const REQUEST_DROPPED = new Set([
  'host',
  'content-length',
  'x-api-key',
  'authorization',
  'x-client-id',
  TENANT_HEADER,
  GATEWAY_SECRET_HEADER,
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

// The gateway's own request id stays on the response, whatever the upstream echoes.
const RESPONSE_DROPPED = new Set(['x-request-id']);

export interface ForwardContext {
  readonly requestId: string;
  /** The API key's client name: also the tenant. */
  readonly clientId: string;
  readonly clientIp: string;
  readonly protocol: string;
  /** Sent as x-gateway-secret when set. */
  readonly gatewaySecret?: string | undefined;
}

/** The headers sent upstream: the client's safe headers plus the gateway's identity and forwarding ones. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): HeaderMap {
  const out = copyEndToEndHeaders(incoming, REQUEST_DROPPED);
  // The edge trusts no proxy in front of it: a client-sent trail is dropped, never extended, so the
  // address behind the gateway (the lb's ip-hash with TRUSTED_HOPS=1, logs) is the socket's.
  out['x-forwarded-for'] = ctx.clientIp;
  out['x-forwarded-proto'] = ctx.protocol;
  if (incoming.host !== undefined) out['x-forwarded-host'] = incoming.host;
  out['x-request-id'] = ctx.requestId;
  out['x-client-id'] = ctx.clientId;
  out[TENANT_HEADER] = ctx.clientId;
  if (ctx.gatewaySecret !== undefined) out[GATEWAY_SECRET_HEADER] = ctx.gatewaySecret;
  return out;
}

/** The upstream's response headers minus hop-by-hop ones, to be sent to the client. */
export function downstreamResponseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
): HeaderMap {
  return copyEndToEndHeaders(upstream, RESPONSE_DROPPED);
}
