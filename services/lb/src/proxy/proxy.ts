import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AppError, toProblem, type ErrorSpec } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import {
  chainServerTiming,
  requestIdFrom,
  SERVER_TIMING,
  timingEntry,
  type AccessLog,
  type LoadShedder,
} from '@sdl/server';
import type { Balancer } from '../balancer.js';
import { LbErrors } from '../errors.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forward-headers.js';
import type { LbMetrics } from '../metrics.js';
import type { OutlierDetector } from '../upstreams/outlier-detector.js';
import { createBufferedBody, createRequestBody, type RequestBody } from './request-body.js';
import { classifyFailure, isIdempotent, isRetriable, type FailureKind } from './upstream-errors.js';
import type { PickContext } from '../strategies/strategy.js';
import type { UpstreamHost } from '../upstreams/upstream-host.js';
import { UpstreamTry } from './upstream-try.js';

export interface ProxyOptions {
  readonly balancer: Balancer;
  readonly metrics: LbMetrics;
  readonly logger: Logger;
  /** Extra tries on other hosts (RETRIES). */
  readonly retries: number;
  /** Keyed POSTs with bodies up to this size are buffered so they can be resent (0: never). */
  readonly keyedRetryBodyLimitBytes: number;
  /** Prepend `lb-pick` and `lb-upstream` to the upstream's `Server-Timing` (SERVER_TIMING). */
  readonly serverTiming: boolean;
  readonly outliers: OutlierDetector;
  /** Concurrent retries may be at most `percent` of concurrent requests, or `minConcurrent`. */
  readonly retryBudget: { readonly percent: number; readonly minConcurrent: number };
  /** The admin app's load shedder (SHED_*): a saturated lb refuses at once instead of queueing. */
  readonly shedder?: LoadShedder;
  /** When `all`, one info line per proxied request (ACCESS_LOG, SIGUSR2); default: 5xx answers only. */
  readonly accessLog?: AccessLog;
}

export type ProxyHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One client request across its tries, and the balancer's view of it. The client's response gets
 * one `close` and one `error` listener for the whole exchange; they reach whichever try is running
 * (a gone client aborts it).
 */
class Exchange implements PickContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  readonly requestId: string;
  /** What each try sends: the client's end-to-end headers plus the request id and x-forwarded-*. */
  readonly upstreamHeaders: Record<string, string | string[]>;
  /** Streamed by default; buffered for keyed POSTs (see handle). */
  body: RequestBody;
  /** May run twice with the effect of once (isIdempotent). */
  readonly idempotent: boolean;
  current: UpstreamTry | undefined;
  /** Time spent choosing hosts, ms, over all tries (`lb-pick`). */
  pickMs = 0;
  /** The client went away before its response finished. */
  gone = false;
  /** The status sent to the client (0 until a try responded). */
  statusCode = 0;

  constructor(req: IncomingMessage, res: ServerResponse, requestId: string) {
    this.req = req;
    this.res = res;
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress;
    this.requestId = requestId;
    this.upstreamHeaders = upstreamRequestHeaders(req, requestId);
    this.body = createRequestBody(req);
    this.idempotent = isIdempotent(this.method, req.headers);
    res.once('close', () => {
      if (!res.writableFinished) this.gone = true;
      this.current?.closed();
    });
    res.on('error', (err) => this.current?.fail(err));
  }
}

const HEALTH_BODY = '{"status":"ok"}';
const NOTHING_TRIED: ReadonlySet<string> = new Set();

function sendProblem(res: ServerResponse, error: ErrorSpec | AppError, requestId: string): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const err = error instanceof AppError ? error : new AppError(error);
  const body = JSON.stringify(toProblem(err, requestId));
  res.writeHead(err.statusCode, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    ...(err.statusCode === 503 ? { 'retry-after': '1' } : {}),
    ...err.headers,
  });
  res.end(body);
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
  const { balancer, metrics, retries, outliers, retryBudget, keyedRetryBodyLimitBytes, serverTiming } = options;
  const log = options.logger.child({ component: 'proxy' });
  // Envoy-style retry budget: a failing cluster must not turn into a retry storm that doubles its load.
  let activeRequests = 0;
  let activeRetries = 0;
  const budgetAllows = () =>
    activeRetries < Math.max(retryBudget.minConcurrent, (retryBudget.percent / 100) * activeRequests);

  // One try on one host: 'done' once a response was streamed (or broke mid-stream), else why it failed.
  async function tryHost(host: UpstreamHost, ex: Exchange): Promise<'done' | FailureKind> {
    const { req, res } = ex;
    const started = performance.now();
    host.begin();
    const attempt = new UpstreamTry(res, (statusCode, headers) => {
      host.recordSuccess(false);
      ex.statusCode = statusCode;
      outliers.record(host, statusCode >= 500);
      metrics.requests.inc({ upstream: host.id, status_class: `${Math.floor(statusCode / 100)}xx` });
      const out = downstreamResponseHeaders(headers, host.id, ex.requestId);
      if (serverTiming) {
        const own = [timingEntry('lb-pick', ex.pickMs), timingEntry('lb-upstream', performance.now() - started)];
        out[SERVER_TIMING] = chainServerTiming(own, headers[SERVER_TIMING]);
      }
      return out;
    });
    ex.current = attempt;
    if (ex.gone) attempt.abort();
    const { responded, error: err } = await attempt.send(host.pool, {
      path: host.basePath + ex.url,
      method: ex.method,
      headers: ex.upstreamHeaders,
      body: ex.body.forTry(),
    });
    ex.current = undefined;
    host.end();
    if (!responded) {
      const kind = classifyFailure(err);
      if (kind === 'aborted') {
        metrics.errors.inc({ upstream: host.id, kind: 'client_abort' });
        return kind;
      }
      metrics.errors.inc({ upstream: host.id, kind });
      if (kind === 'connect' || kind === 'timeout') outliers.record(host, true);
      if (kind === 'connect') host.markDown(`proxied try failed to connect (${(err as { code?: string }).code})`);
      else if (kind === 'timeout') host.recordFailure('proxied try timed out');
      log.warn(
        { err, upstream: host.id, kind, method: req.method, url: req.url, reqId: ex.requestId },
        'upstream try failed',
      );
      return kind;
    }
    if (err !== undefined) {
      // The headers are (almost always) sent: the only honest signal left is a truncated response.
      // The first error names the side that broke.
      const kind = classifyFailure(err);
      const clientGone = kind === 'aborted' || (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
      metrics.errors.inc({ upstream: host.id, kind: clientGone ? 'client_abort' : kind });
      if (!clientGone) log.warn({ err, upstream: host.id, reqId: ex.requestId }, 'response stream broke');
      res.destroy();
    }
    metrics.duration.observe({ upstream: host.id }, (performance.now() - started) / 1000);
    return 'done';
  }

  // The request's one line (a 5xx always, any other answer under ACCESS_LOG=all): the id the gateway
  // and the api log too, so one grep follows a request across the three hops.
  function logAnswer(ex: Exchange, upstream: string | undefined, statusCode: number, tries: number): void {
    if (statusCode < 500 && options.accessLog?.all !== true) return;
    const line = { reqId: ex.requestId, method: ex.method, url: ex.url, upstream, statusCode, tries };
    if (statusCode >= 500) log.warn(line, 'request failed');
    else log.info(line, 'request done');
  }

  // A retry counts against the budget while it runs.
  async function retryHost(host: UpstreamHost, ex: Exchange): Promise<'done' | FailureKind> {
    activeRetries++;
    try {
      return await tryHost(host, ex);
    } finally {
      activeRetries--;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const ex = new Exchange(req, res, requestId);
    if (ex.idempotent && ex.method === 'POST' && retries > 0 && keyedRetryBodyLimitBytes > 0) {
      try {
        ex.body = (await createBufferedBody(req, keyedRetryBodyLimitBytes)) ?? ex.body;
      } catch {
        // The client went away mid-body: there is no one to answer.
        return void res.destroy();
      }
    }
    // Allocated on the first retry only: most requests take one try.
    let tried: Set<string> | undefined;
    let failure: FailureKind | undefined;
    let tries = 0;
    activeRequests++;
    try {
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0 && !budgetAllows()) {
          metrics.retriesBudgetExhausted.inc();
          break;
        }
        const pickStarted = performance.now();
        const host = balancer.pick(ex, tried ?? NOTHING_TRIED);
        ex.pickMs += performance.now() - pickStarted;
        if (host === undefined) break;
        if (attempt > 0) metrics.retries.inc();
        if (attempt < retries) (tried ??= new Set()).add(host.id);
        tries++;
        const outcome = await (attempt === 0 ? tryHost(host, ex) : retryHost(host, ex));
        if (outcome === 'done') return logAnswer(ex, host.id, ex.statusCode, tries);
        if (outcome === 'aborted') return;
        failure = outcome;
        if (!isRetriable(failure, ex.idempotent, ex.body.resendable)) break;
      }
    } finally {
      activeRequests--;
    }
    const answer = answerFor(failure);
    sendProblem(res, answer, requestId);
    logAnswer(ex, undefined, answer.statusCode, tries);
    // A body a failed try left half-read is drained so the client's connection can be reused.
    if (!req.complete) req.resume();
  }

  return (req, res) => {
    if (req.url === '/lb/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': HEALTH_BODY.length });
      res.end(req.method === 'HEAD' ? undefined : HEALTH_BODY);
      return;
    }
    const overloaded = options.shedder?.shed();
    if (overloaded !== undefined) {
      sendProblem(res, overloaded, requestIdFrom(req.headers['x-request-id']));
      // The body is not wanted; reading it keeps the client's connection reusable.
      if (!req.complete) req.resume();
      return;
    }
    handle(req, res).catch((err: unknown) => {
      const reqId = requestIdFrom(req.headers['x-request-id']);
      log.error({ err, method: req.method, url: req.url, reqId }, 'proxy failure');
      sendProblem(res, LbErrors.upstreamUnavailable, reqId);
    });
  };
}
