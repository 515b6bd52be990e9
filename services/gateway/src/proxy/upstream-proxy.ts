import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { AppError } from '@sdl/errors';
import { createClientPlugin } from '@sdl/server';
import { Pool } from 'undici';
import { GatewayErrors } from '../errors.js';
import { downstreamResponseHeaders, type HeaderMap } from './forward-headers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The keep-alive pool to the lb that every proxied request goes through. */
    upstream: UpstreamProxy;
  }
}

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query exactly as the client sent them. */
  readonly path: string;
  readonly headers: HeaderMap;
  readonly body: Buffer | undefined;
  /** Aborts the upstream call when the client goes away. */
  readonly signal: AbortSignal;
}

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: HeaderMap;
  readonly body: Readable;
}

export interface UpstreamProxy {
  /** Sends the request; throws GW_ERR_UPSTREAM_TIMEOUT (504) or GW_ERR_UPSTREAM_UNAVAILABLE (502). */
  forward(request: UpstreamRequest): Promise<UpstreamResponse>;
  /** Readiness: the lb's own health endpoint, which it answers itself rather than proxying. */
  ping(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface UpstreamProxyOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly connections: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Maps a transport failure onto the gateway's codes: waiting too long is 504, anything else 502. */
export function toUpstreamError(err: unknown): AppError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new AppError(GatewayErrors.upstreamTimeout, { cause: err });
  }
  return new AppError(GatewayErrors.upstreamUnavailable, { cause: err });
}

/** A keep-alive pool to the lb that forwards buffered requests and hands back streamed responses. */
export function createUpstreamProxy(options: UpstreamProxyOptions): UpstreamProxy {
  const pool = new Pool(options.url, {
    connections: options.connections,
    connect: { timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  return {
    async forward(request) {
      try {
        const res = await pool.request({
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body,
          signal: request.signal,
        });
        return {
          statusCode: res.statusCode,
          headers: downstreamResponseHeaders(res.headers as IncomingHttpHeaders),
          body: res.body,
        };
      } catch (err) {
        throw toUpstreamError(err);
      }
    },
    async ping(signal) {
      const res = await pool.request({ method: 'GET', path: '/lb/healthz', signal });
      await res.body.dump();
      if (res.statusCode !== 200) {
        throw new AppError(GatewayErrors.upstreamUnavailable, { message: `lb answered ${res.statusCode}` });
      }
    },
    close: () => pool.close(),
  };
}

/** The pool to the lb as `app.upstream`, closed in onClose; `/readyz` checks it as `lb`. */
export const upstreamProxyPlugin = createClientPlugin({
  name: 'lb',
  decorate: 'upstream',
  create: (options: UpstreamProxyOptions) => createUpstreamProxy(options),
  close: (upstream) => upstream.close(),
  ready: (upstream, signal) => upstream.ping(signal),
});
