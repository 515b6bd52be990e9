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
  /** Shed while the event loop's longest delay in the last sample period is above this, ms. */
  readonly maxEventLoopDelayMs?: number;
  /** Shed while the V8 heap in use is above this, bytes. */
  readonly maxHeapUsedBytes?: number;
  /** Shed while the resident set is above this, bytes. */
  readonly maxRssBytes?: number;
  /** How often pressure is sampled, ms (default 250); also the Retry-After, rounded up to seconds. */
  readonly sampleIntervalMs?: number;
  /**
   * Sampling stops once no request has asked for this long (default 10 s; 0: never stops), and the
   * next request starts it again: an idle process is not woken 20 times a second for nothing.
   */
  readonly sleepAfterMs?: number;
}

export type Pressure = 'event_loop_delay' | 'heap_used' | 'rss';

/** The settings a service spreads into its config schema (SHED_*), each 0 = not checked. */
export const LoadSheddingConfigSchema = Type.Object({
  /** Shed while the event loop's longest delay in a sample period is above this, ms. */
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
  /** Whether pressure is being sampled now (false while asleep: idle, or closed). */
  readonly sampling: boolean;
  /** Stops sampling. */
  close(): void;
}

const isSet = (limit: number | undefined): limit is number => limit !== undefined && limit > 0;
const over = (value: number, limit: number | undefined): boolean => isSet(limit) && value > limit;

/**
 * What @fastify/under-pressure does: pressure (the event loop's longest delay, the heap, the RSS)
 * is sampled every period (default 250 ms), and while any threshold is exceeded `shed()` answers for the request.
 * Sampling sleeps while no request comes (sleepAfterMs). Undefined when no threshold is set.
 */
export function createLoadShedder(registry: Registry, options: LoadSheddingOptions): LoadShedder | undefined {
  const { maxEventLoopDelayMs, maxHeapUsedBytes, maxRssBytes } = options;
  if (![maxEventLoopDelayMs, maxHeapUsedBytes, maxRssBytes].some(isSet)) return undefined;
  const intervalMs = options.sampleIntervalMs ?? 250;
  // The loop's delay, measured by a timer that wakes every `resolution` ms and sees how late it ran:
  // a fifth of the sampling period, 10 to 50 ms, so each period holds five or more samples. Not
  // Node's monitorEventLoopDelay: its reset() at each period also forgets when it last woke, so the
  // first stall after a reset (a 300 ms burst that began right after one) was never recorded, and a
  // loop saturated in bursts could go unseen period after period (CI saw no 503 in 15 s). Here the
  // period ends inside the timer, after the stall it just measured, and nothing is forgotten.
  const resolutionMs = Math.max(10, Math.min(50, Math.floor(intervalMs / 5)));
  const sleepAfterMs = options.sleepAfterMs ?? 10_000;
  let pressure: Pressure | undefined;
  let lastWake = 0;
  let periodStart = 0;
  let worstDelayMs = 0;
  // shed() calls since the last period ended, and how long none came: past sleepAfterMs the timer
  // stops, and the next shed() starts it again. The memory thresholds are checked at once on waking;
  // the loop's delay from the first period on (a stall while asleep had no request to delay).
  let calls = 0;
  let quietMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const memoryPressure = (): Pressure | undefined => {
    const memory = process.memoryUsage();
    if (over(memory.heapUsed, maxHeapUsedBytes)) return 'heap_used';
    if (over(memory.rss, maxRssBytes)) return 'rss';
    return undefined;
  };
  const sample = (): void => {
    const now = performance.now();
    worstDelayMs = Math.max(worstDelayMs, now - lastWake - resolutionMs);
    lastWake = now;
    if (now - periodStart < intervalMs) return;
    pressure = over(worstDelayMs, maxEventLoopDelayMs) ? 'event_loop_delay' : memoryPressure();
    quietMs = calls === 0 ? quietMs + (now - periodStart) : 0;
    calls = 0;
    worstDelayMs = 0;
    periodStart = now;
    if (sleepAfterMs > 0 && quietMs >= sleepAfterMs) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const wake = (): void => {
    lastWake = periodStart = performance.now();
    worstDelayMs = quietMs = 0;
    pressure = memoryPressure();
    timer = setInterval(sample, resolutionMs);
    timer.unref();
  };
  wake();
  const counter = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests answered 503 ERR_OVERLOADED by load shedding, by the pressure that was over its threshold',
    labelNames: ['pressure'] as const,
    registers: [registry],
  });
  const headers = { 'retry-after': String(Math.max(1, Math.ceil(intervalMs / 1000))) };
  return {
    shed() {
      calls++;
      if (timer === undefined && !closed) wake();
      if (pressure === undefined) return undefined;
      counter.inc({ pressure });
      return new AppError(CommonErrors.overloaded, { headers, details: { pressure } });
    },
    get sampling() {
      return timer !== undefined;
    },
    close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
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
