import type { TLSSocket } from 'node:tls';
import { AppError } from '@sdl/errors';
import type { FastifyInstance } from 'fastify';
import { GatewayErrors } from '../errors.js';

export type PlainHttpMode = 'serve' | 'redirect' | 'refuse';

export interface HttpsPolicyOptions {
  /** Strict-Transport-Security max-age on HTTPS answers, s; 0: no header. */
  readonly hstsMaxAgeS: number;
  /** What plain HTTP gets (probes are always served: the container healthcheck uses them). */
  readonly plainHttp: PlainHttpMode;
  /** `redirect` target origin, from config only: never the request's Host (no open redirect). */
  readonly redirectOrigin: string;
}

const PROBES = new Set(['/healthz', '/readyz']);

/**
 * The first hook of every request: HTTPS answers carry HSTS (errors too); plain HTTP is served,
 * redirected with 308 to the HTTPS origin, or refused with 403 GW_ERR_HTTPS_REQUIRED and a closed
 * connection.
 */
export function registerHttpsPolicy(app: FastifyInstance, options: HttpsPolicyOptions): void {
  const hsts = `max-age=${options.hstsMaxAgeS}`;
  app.addHook('onRequest', async (req, reply) => {
    if ((req.raw.socket as Partial<TLSSocket>).encrypted === true) {
      if (options.hstsMaxAgeS > 0) void reply.header('strict-transport-security', hsts);
      return;
    }
    if (options.plainHttp === 'serve' || PROBES.has(req.routeOptions.url ?? '')) return;
    if (options.plainHttp === 'redirect') {
      return reply.code(308).header('location', `${options.redirectOrigin}${req.url}`).send();
    }
    throw new AppError(GatewayErrors.httpsRequired, { headers: { connection: 'close' } });
  });
}
