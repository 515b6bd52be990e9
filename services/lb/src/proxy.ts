import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { AppError, toProblem, type ErrorSpec } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { requestIdFrom } from '@sdl/server';
import type { Balancer } from './balancer.js';
import { LbErrors } from './errors.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forward-headers.js';
import type { LbMetrics } from './lb-metrics.js';
import type { OutlierDetector } from './outlier-detector.js';
import { createRequestBody, type RequestBody } from './request-body.js';
import { classifyFailure, isRetriable, type FailureKind } from './upstream-errors.js';
import type { UpstreamHost } from './upstream-host.js';

export interface ProxyOptions {
  readonly balancer: Balancer;
  readonly metrics: LbMetrics;
  readonly logger: Logger;
  /** Extra tries on other hosts (default 1). */
  readonly retries: number;
  readonly outliers: OutlierDetector;
  /** Concurrent retries may be at most `percent` of concurrent requests, or `minConcurrent`. */
  readonly retryBudget: { readonly percent: number; readonly minConcurrent: number };
}

export type ProxyHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: RequestBody;
  readonly signal: ClientGone;
}

/**
 * Aborts a request's tries when its client goes away. An EventEmitter with `aborted`, which undici
 * takes as a signal (its abort is then a RequestAbortedError, UND_ERR_ABORTED): an AbortController
 * per request costs a few % of the proxy's CPU.
 */
class ClientGone extends EventEmitter {
  aborted = false;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

const HEALTH_BODY = '{"status":"ok"}';

function sendProblem(res: ServerResponse, spec: ErrorSpec, requestId: string): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const body = JSON.stringify(toProblem(new AppError(spec), requestId));
  res.writeHead(spec.statusCode, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    ...(spec.statusCode === 503 ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
}

const prematureClose = (): Error => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/**
 * Streams the upstream body into the response, with backpressure; settles when the response
 * finished, or with the first error (the body's, or a premature close of either side, coded as
 * stream.pipeline does). Hand-written because stream.pipeline costs about half the proxy's
 * throughput on small responses (its per-call AbortController, eos listeners and DOMException).
 * Neither stream is destroyed here: the caller does that on failure.
 */
function forwardBody(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let ended = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      res.off('drain', onDrain);
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onDrain = (): void => void body.resume();
    function onData(chunk: Buffer): void {
      if (!res.write(chunk)) body.pause();
    }
    res.on('drain', onDrain);
    res.once('finish', () => settle());
    res.once('error', settle);
    res.once('close', () => {
      if (!res.writableFinished) settle(prematureClose());
    });
    body.once('error', settle);
    body.once('end', () => {
      ended = true;
      if (!settled) res.end();
    });
    body.once('close', () => {
      if (!ended) settle(prematureClose());
    });
    body.on('data', onData);
  });
}

const answerFor = (kind: FailureKind | undefined): ErrorSpec =>
  kind === undefined
    ? LbErrors.noHealthyUpstream
    : kind === 'timeout'
      ? LbErrors.upstreamTimeout
      : kind === 'reset'
        ? LbErrors.upstreamReset
        : LbErrors.upstreamUnavailable;

/**
 * The proxy's request handler (plain node:http: this is the hot path). Answers `/lb/healthz`
 * itself; forwards everything else to a host chosen by the balancer, retrying on another host
 * when that is safe (see isRetriable), and streams the response back with `x-upstream`.
 */
export function createProxyHandler(options: ProxyOptions): ProxyHandler {
  const { balancer, metrics, retries, outliers, retryBudget } = options;
  const log = options.logger.child({ component: 'proxy' });
  // Envoy-style retry budget: a failing cluster must not turn into a retry storm that doubles its load.
  let activeRequests = 0;
  let activeRetries = 0;
  const budgetAllows = () => activeRetries < Math.max(retryBudget.minConcurrent, (retryBudget.percent / 100) * activeRequests);

  // One try on one host: 'done' once a response was streamed (or broke mid-stream), else why it failed.
  async function tryHost(host: UpstreamHost, ex: Exchange): Promise<'done' | FailureKind> {
    const { req, res } = ex;
    const started = performance.now();
    host.begin();
    let upstream;
    try {
      upstream = await host.pool.request({
        path: host.basePath + (req.url ?? '/'),
        method: req.method ?? 'GET',
        headers: ex.headers,
        // undici takes async iterables (documented, and handled in core/request.js); its types lag.
        body: ex.body.forTry() as Readable | undefined,
        signal: ex.signal,
      });
    } catch (err) {
      host.end();
      const kind = classifyFailure(err);
      if (kind === 'aborted') {
        metrics.errors.inc({ upstream: host.id, kind: 'client_abort' });
        return kind;
      }
      metrics.errors.inc({ upstream: host.id, kind });
      if (kind === 'connect' || kind === 'timeout') outliers.record(host, true);
      if (kind === 'connect') host.markDown(`proxied try failed to connect (${(err as { code?: string }).code})`);
      else if (kind === 'timeout') host.recordFailure('proxied try timed out');
      log.warn({ err, upstream: host.id, kind, method: req.method, url: req.url, reqId: ex.requestId }, 'upstream try failed');
      return kind;
    }
    host.recordSuccess(false);
    outliers.record(host, upstream.statusCode >= 500);
    metrics.requests.inc({ upstream: host.id, status_class: `${Math.floor(upstream.statusCode / 100)}xx` });
    try {
      res.writeHead(upstream.statusCode, downstreamResponseHeaders(upstream.headers, host.id, ex.requestId));
      await forwardBody(upstream.body, res);
    } catch (err) {
      // The headers are (almost always) sent: the only honest signal left is a truncated response.
      // The first error names the side that broke (both streams are closed by the time we get here).
      const kind = classifyFailure(err);
      const clientGone = kind === 'aborted' || (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
      metrics.errors.inc({ upstream: host.id, kind: clientGone ? 'client_abort' : kind });
      if (!clientGone) log.warn({ err, upstream: host.id, reqId: ex.requestId }, 'response stream broke');
      upstream.body.destroy();
      res.destroy();
    } finally {
      host.end();
      metrics.duration.observe({ upstream: host.id }, (performance.now() - started) / 1000);
    }
    return 'done';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const aborter = new ClientGone();
    res.once('close', () => {
      if (!res.writableFinished) aborter.abort();
    });
    const ex: Exchange = {
      req,
      res,
      requestId,
      headers: upstreamRequestHeaders(req, requestId),
      body: createRequestBody(req),
      signal: aborter,
    };
    const ctx = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, requestId, remoteAddress: req.socket.remoteAddress };
    const tried = new Set<string>();
    let failure: FailureKind | undefined;
    activeRequests++;
    try {
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0 && !budgetAllows()) {
          metrics.retriesBudgetExhausted.inc();
          break;
        }
        const host = balancer.pick(ctx, tried);
        if (host === undefined) break;
        if (attempt > 0) metrics.retries.inc();
        tried.add(host.id);
        if (attempt > 0) activeRetries++;
        const outcome = await tryHost(host, ex).finally(() => {
          if (attempt > 0) activeRetries--;
        });
        if (outcome === 'done' || outcome === 'aborted') return;
        failure = outcome;
        if (!isRetriable(failure, ctx.method, ex.body.started)) break;
      }
    } finally {
      activeRequests--;
    }
    sendProblem(res, answerFor(failure), requestId);
    // A body a failed try left half-read is drained so the client's connection can be reused.
    if (!req.complete) req.resume();
  }

  return (req, res) => {
    if (req.url === '/lb/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': HEALTH_BODY.length });
      res.end(req.method === 'HEAD' ? undefined : HEALTH_BODY);
      return;
    }
    handle(req, res).catch((err: unknown) => {
      log.error({ err, method: req.method, url: req.url }, 'proxy failure');
      sendProblem(res, LbErrors.upstreamUnavailable, requestIdFrom(req.headers['x-request-id']));
    });
  };
}
