import { AppError } from '@sdl/errors';
import type { FastifyInstance } from 'fastify';
import { presentedKey, type ApiKeys } from '../auth/api-keys.js';
import { GatewayErrors } from '../errors.js';
import { upstreamRequestHeaders } from '../proxy/forward-headers.js';
import type { GatewayMetrics } from '../metrics.js';
import { routeTemplate, type RateLimitGate } from '../rate-limit/rate-limit-gate.js';
import type { UpstreamProxy } from '../proxy/upstream-proxy.js';
import type { BodyPolicy } from '../threat-protection/body-policy.js';
import type { InFlightLimit } from '../rate-limit/in-flight-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client's name (from API_KEYS); empty before authentication. */
    apiClient: string;
  }
}

export interface ProxyRoutesOptions {
  readonly apiKeys: ApiKeys;
  readonly gate: RateLimitGate;
  readonly upstream: UpstreamProxy;
  readonly metrics: GatewayMetrics;
  /** Sent upstream as x-gateway-secret. */
  readonly gatewaySecret: string | undefined;
  /** Refuses a body before it is proxied (content type, JSON inspection). */
  readonly bodyPolicy: BodyPolicy;
  /** Per-tenant in-flight cap. */
  readonly inFlight: InFlightLimit;
}

const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

/**
 * Everything under `/v1/*`: authenticate, rate limit, then proxy to the lb. Encapsulated so its
 * raw-body parsing does not leak into the gateway's own endpoints.
 */
export async function proxyRoutes(app: FastifyInstance, options: ProxyRoutesOptions): Promise<void> {
  const { apiKeys, gate, upstream, metrics, gatewaySecret, bodyPolicy, inFlight } = options;
  app.decorateRequest('apiClient', '');

  // Bodies are forwarded byte for byte (the api validates them), so every type is read as a Buffer;
  // the app's bodyLimit still applies and answers 413.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Auth and limits run before the body is read: a rejected client never gets to upload it.
  app.addHook('onRequest', async (req, reply) => {
    const authStarted = performance.now();
    const client = apiKeys.authenticate(presentedKey(req.headers));
    app.serverTiming.add('auth', performance.now() - authStarted);
    if (client === undefined) {
      metrics.authFailures.inc();
      throw new AppError(GatewayErrors.unauthorized);
    }
    req.apiClient = client;
    if (!inFlight.acquire(client)) {
      throw new AppError(GatewayErrors.tenantConcurrency, { headers: { 'retry-after': '1' } });
    }
    // The slot is held until the response ends, however it ends (sent, failed, or the client hung up).
    reply.raw.once('close', () => inFlight.release(client));
    const plan = apiKeys.planOf(client);
    const descriptors = { client, route: routeTemplate(req.method, req.url), address: req.ip };
    const admission = await app.serverTiming.measure('ratelimit', () =>
      gate.admit(plan === undefined ? descriptors : { ...descriptors, plan }, req.id),
    );
    void reply.headers(admission.headers);
    // In-flight leases end with the response, however it ends (sent, failed, or the client hung up).
    if (admission.leases.length > 0) reply.raw.once('close', () => gate.release(admission.leases, req.id));
  });

  // The body is complete here and the client known: a refused body never leaves the edge.
  app.addHook('preHandler', async (req) => {
    try {
      bodyPolicy(req.headers['content-type'], Buffer.isBuffer(req.body) ? req.body : undefined);
    } catch (err) {
      if (err instanceof AppError) metrics.refused.inc({ code: err.code });
      throw err;
    }
  });

  app.all('/v1/*', async (req, reply) => {
    const aborted = new AbortController();
    // A client that hangs up should not keep an upstream connection busy.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    try {
      const res = await app.serverTiming.measure('upstream', () =>
        upstream.forward({
          method: req.method,
          path: req.url,
          headers: upstreamRequestHeaders(req.headers, {
            requestId: req.id,
            clientId: req.apiClient,
            clientIp: req.ip,
            protocol: req.protocol,
            gatewaySecret,
          }),
          body: Buffer.isBuffer(req.body) ? req.body : undefined,
          signal: aborted.signal,
        }),
      );
      metrics.proxied.inc({ status_class: statusClass(res.statusCode) });
      return reply.status(res.statusCode).headers(res.headers).send(res.body);
    } catch (err) {
      if (err instanceof AppError) metrics.proxied.inc({ status_class: statusClass(err.statusCode) });
      throw err;
    }
  });
}
