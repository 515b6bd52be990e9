import { AppError } from '@sdl/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayErrors } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';

export interface RequestShapeOptions {
  /** Header fields a request may carry; beyond it 431 GW_ERR_TOO_MANY_HEADERS. */
  readonly maxHeaderCount: number;
  readonly metrics: GatewayMetrics;
}

// Fields that name one thing: two copies let two hops read two different requests (which host,
// which credentials, which body type). Node keeps the first copy silently; an edge refuses.
const SINGLETONS = new Set(['host', 'content-type', 'authorization', 'x-api-key']);

// After any of these the connection is closed: the client's framing can no longer be trusted.
const CLOSE = { connection: 'close' } as const;

/** What is wrong with the request's shape, or undefined; rawHeaders is [name, value, name, value, ...]. */
export function shapeError(req: FastifyRequest, maxHeaderCount: number): AppError | undefined {
  const { raw } = req;
  if (raw.httpVersionMajor !== 1) return new AppError(GatewayErrors.httpVersion, { headers: CLOSE });
  // Node keeps at most 2000 fields (server.maxHeadersCount) and drops the rest unseen: any count
  // over the limit is refused, however far over.
  const count = raw.rawHeaders.length / 2;
  if (count > maxHeaderCount) {
    return new AppError(GatewayErrors.tooManyHeaders, { headers: CLOSE, details: { limit: maxHeaderCount } });
  }
  const seen = new Set<string>();
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    const name = raw.rawHeaders[i]!.toLowerCase();
    if (!SINGLETONS.has(name)) continue;
    if (seen.has(name))
      return new AppError(GatewayErrors.ambiguousHeader, { headers: CLOSE, details: { header: name } });
    seen.add(name);
  }
  return undefined;
}

/**
 * The first check of every request, before authentication: HTTP/1.x only, at most
 * `maxHeaderCount` header fields, and no second copy of a field that must be single. Each refusal
 * has a stable code and closes the connection. Node's parser has already refused bad framing
 * (see @sdl/server's clientErrorHandler).
 */
export function registerRequestShapeCheck(app: FastifyInstance, options: RequestShapeOptions): void {
  app.addHook('onRequest', async (req) => {
    const error = shapeError(req, options.maxHeaderCount);
    if (error === undefined) return;
    options.metrics.refused.inc({ code: error.code });
    throw error;
  });
}
