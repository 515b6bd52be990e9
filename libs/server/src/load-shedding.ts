import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AppError, CommonErrors } from '@sdl/errors';
import { Counter, type Registry } from '@sdl/metrics';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's load shedder (for a listener beside it, like the lb's proxy); undefined when off. */
    loadShedder: LoadShedder | undefined;
  }
}

/** When a process sheds load; a threshold of 0 or absent is not checked. */
export interface LoadSheddingOptions {
  /** Shed while the event loop delay (p99 over the last sample period) is above this, ms. */
  readonly maxEventLoopDelayMs?: number;
  /** Shed while the V8 heap in use is above this, bytes. */
  readonly maxHeapUsedBytes?: number;
  /** Shed while the resident set is above this, bytes. */
  readonly maxRssBytes?: number;
  /** How often pressure is sampled, ms (default 250); also the Retry-After, rounded up to seconds. */
  readonly sampleIntervalMs?: number;
}

export type Pressure = 'event_loop_delay' | 'heap_used' | 'rss';

/** The settings a service spreads into its config schema (SHED_*), each 0 = not checked. */
export const LoadSheddingConfigSchema = Type.Object({
  /** Shed while the event loop delay p99 is above this, ms. */
  shedEventLoopDelayMs: Type.Integer({ minimum: 0, default: 0 }),
  /** Shed while the V8 heap in use is above this, bytes. */
  shedHeapUsedBytes: Type.Integer({ minimum: 0, default: 0 }),
  /** Shed while the resident set is above this, bytes. */
  shedRssBytes: Type.Integer({ minimum: 0, default: 0 }),
});

/** createApp's `loadShedding` from a config that spread LoadSheddingConfigSchema. */
export function loadSheddingOf(config: Static<typeof LoadSheddingConfigSchema>): LoadSheddingOptions {
  return {
    maxEventLoopDelayMs: config.shedEventLoopDelayMs,
    maxHeapUsedBytes: config.shedHeapUsedBytes,
    maxRssBytes: config.shedRssBytes,
  };
}

/** Samples a process's pressure; one per process registry (it owns http_requests_shed_total). */
export interface LoadShedder {
  /**
   * Undefined while every threshold holds; else counts one shed request and returns what to answer
   * it with: `503 ERR_OVERLOADED`, retriable, with `Retry-After` and the pressure in `details`.
   */
  shed(): AppError | undefined;
  /** Stops sampling. */
  close(): void;
}

const isSet = (limit: number | undefined): limit is number => limit !== undefined && limit > 0;
const over = (value: number, limit: number | undefined): boolean => isSet(limit) && value > limit;

/**
 * What @fastify/under-pressure does, on Node's own event-loop histogram: pressure is sampled every
 * period (default 250 ms), and while any threshold is exceeded `shed()` answers for the request.
 * Undefined when no threshold is set.
 */
export function createLoadShedder(registry: Registry, options: LoadSheddingOptions): LoadShedder | undefined {
  const { maxEventLoopDelayMs, maxHeapUsedBytes, maxRssBytes } = options;
  if (![maxEventLoopDelayMs, maxHeapUsedBytes, maxRssBytes].some(isSet)) return undefined;
  const intervalMs = options.sampleIntervalMs ?? 250;
  // The histogram's timer wakes the process every `resolution` ms, busy or idle. A fifth of the
  // sampling period, 10 to 50 ms: 50 ms at the default 250 ms period (a fifth of Node's default
  // wakeups), and still five or more samples in each period, so one period's p99 is never read from
  // an empty histogram (a 50 ms period sampled at 50 ms missed a saturated loop in CI).
  const histogram = monitorEventLoopDelay({ resolution: Math.max(10, Math.min(50, Math.floor(intervalMs / 5))) });
  histogram.enable();
  let pressure: Pressure | undefined;
  const timer = setInterval(() => {
    const delayMs = histogram.percentile(99) / 1e6;
    histogram.reset();
    const memory = process.memoryUsage();
    if (over(delayMs, maxEventLoopDelayMs)) pressure = 'event_loop_delay';
    else if (over(memory.heapUsed, maxHeapUsedBytes)) pressure = 'heap_used';
    else if (over(memory.rss, maxRssBytes)) pressure = 'rss';
    else pressure = undefined;
  }, intervalMs);
  timer.unref();
  const counter = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests answered 503 ERR_OVERLOADED by load shedding, by the pressure that was over its threshold',
    labelNames: ['pressure'] as const,
    registers: [registry],
  });
  const headers = { 'retry-after': String(Math.max(1, Math.ceil(intervalMs / 1000))) };
  return {
    shed() {
      if (pressure === undefined) return undefined;
      counter.inc({ pressure });
      return new AppError(CommonErrors.overloaded, { headers, details: { pressure } });
    },
    close() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

// Probes and metrics stay answered: an orchestrator must see a shedding node, not a dead one.
const ALWAYS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Load shedding on a fastify app: while the process is over a threshold (see createLoadShedder)
 * every request but the probes and metrics gets a fast `503 ERR_OVERLOADED` with `Retry-After`
 * instead of queueing behind the saturated loop, counted in `http_requests_shed_total{pressure}`.
 * Nothing is registered when no threshold is set. The shedder is `app.loadShedder`.
 */
export function registerLoadShedding(app: FastifyInstance, registry: Registry, options: LoadSheddingOptions): void {
  const shedder = createLoadShedder(registry, options);
  app.decorate('loadShedder', shedder);
  if (shedder === undefined) return;
  app.addHook('onClose', async () => shedder.close());
  app.addHook('onRequest', async (req) => {
    if (ALWAYS.has(req.routeOptions.url ?? '')) return;
    const refusal = shedder.shed();
    if (refusal !== undefined) throw refusal;
  });
}
