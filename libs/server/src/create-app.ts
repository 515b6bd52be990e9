import { toProblem, CommonErrors, AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AccessLog } from './access-log.js';
import { createClientErrorHandler } from './client-error.js';
import { registerLoadShedding, type LoadSheddingOptions } from './load-shedding.js';
import { createReadiness, type Readiness } from './readiness.js';
import { httpServerOptions, type ServerLimits } from './server-options.js';
import { requestIdFrom } from './request-id.js';
import { registerServerTiming, type ServerTimingOptions } from './server-timing.js';

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness;
  }
}

export interface AppOptions extends ServerLimits {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Serve `GET /metrics` on this app (default true; false when a separate listener serves it). */
  readonly metricsRoute?: boolean;
  /** Timeout of each readiness check, ms (default 1000). */
  readonly readinessTimeoutMs?: number;
  /** Load shedding thresholds (see registerLoadShedding); default none. */
  readonly loadShedding?: LoadSheddingOptions;
  /** `Server-Timing` on every answer under this hop's prefix (see registerServerTiming); default none. */
  readonly serverTiming?: ServerTimingOptions;
  /** When `all`, one info line per request (probes and /metrics aside); default: 5xx only. */
  readonly accessLog?: AccessLog;
  /**
   * How long a 413 sent before the body was read keeps reading (and dropping) the rest of the
   * upload before the connection is cut, ms (default 5000). See lingerOnEarlyAnswer.
   */
  readonly lingerMs?: number;
}

// Probes and scrapes every second or so: not the traffic anyone follows by request id.
const UNLOGGED_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A fastify app with the lab's conventions: request ids across hops, one error handler with
 * stable codes, strict validation (no coercion, unknown fields rejected), `/healthz`, `/readyz`
 * and `/metrics`. It never listens: see listenWithGrace.
 */
export function createApp(options: AppOptions): FastifyInstance {
  const { metrics } = options;
  const http = httpServerOptions(options);
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout: http.requestTimeout,
    http,
    // Requests the HTTP parser refuses: one problem+json with a stable code, then the connection closes.
    clientErrorHandler: createClientErrorHandler(options.logger),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    requestIdHeader: false,
    // Per-request lines would drown everything under load; errors and 5xx are logged by the hooks
    // below, every request only under ACCESS_LOG=all or a SIGUSR2 window (options.accessLog).
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  }) as unknown as FastifyInstance;

  app.decorate('readiness', createReadiness());
  // First of all hooks: everything a request runs records into its own set of durations.
  if (options.serverTiming !== undefined) registerServerTiming(app, options.serverTiming);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // RFC 9112 section 3.2: an HTTP/1.1 request without Host is refused (Node's own check has no code).
    if (req.headers.host === undefined && req.raw.httpVersion === '1.1') {
      throw new AppError(CommonErrors.badRequest, {
        message: 'Host header required',
        headers: { connection: 'close' },
      });
    }
  });
  lingerOnEarlyAnswer(app, options.lingerMs ?? 5000);
  // Before any other work of a request: a saturated process answers at once.
  registerLoadShedding(app, metrics.registry, options.loadShedding ?? {});
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode >= 500) req.log.warn({ req, statusCode: reply.statusCode }, 'request failed');
    else if (options.accessLog?.all === true && !UNLOGGED_ROUTES.has(route)) {
      req.log.info({ req, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request done');
    }
  });

  app.setErrorHandler(async (err, req, reply) => {
    const problem = toProblem(err, req.id);
    if (problem.status >= 500) req.log.error({ err, req }, 'request error');
    else req.log.debug({ err, code: problem.code }, 'client error');
    if (err instanceof AppError) void reply.headers(err.headers);
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler(async (req, reply) => {
    const problem = toProblem(
      new AppError(CommonErrors.notFound, { message: `no route ${req.method} ${req.url}` }),
      req.id,
    );
    return reply.status(404).type('application/problem+json').send(problem);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const result = await app.readiness.run(options.readinessTimeoutMs ?? 1000);
    return reply.status(result.ok ? 200 : 503).send({ status: result.ok ? 'ready' : 'not ready', ...result });
  });
  if (options.metricsRoute ?? true) {
    app.get('/metrics', async (_req, reply) => {
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  return app;
}

/**
 * Fastify refuses a body over the limit from its `content-length` before reading it, and marks the
 * answer `connection: close`. Closing a socket with the client's bytes still arriving makes the kernel
 * send a reset, and a reset can wipe the 413 from the client's receive buffer before the client
 * reads it: the client sees "connection reset" instead of the answer (nginx's `lingering_close`
 * exists for the same reason). So such an answer keeps the connection: Node reads and drops the rest
 * of the body (as it does for any unread body), and the connection is cut only if the upload is
 * still going `lingerMs` after the answer.
 */
function lingerOnEarlyAnswer(app: FastifyInstance, lingerMs: number): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode !== 413 || req.raw.complete || reply.getHeader('connection') !== 'close') return payload;
    reply.removeHeader('connection');
    const upload = req.raw;
    const socket = upload.socket;
    const cut = setTimeout(() => socket.destroy(), lingerMs);
    cut.unref();
    const done = (): void => {
      clearTimeout(cut);
      upload.off('end', done);
      socket.off('close', done);
    };
    upload.once('end', done);
    socket.once('close', done);
    return payload;
  });
}
