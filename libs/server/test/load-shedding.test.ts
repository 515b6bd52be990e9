import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, createLoadShedder, type LoadShedder, type LoadSheddingOptions } from '../src/index.js';

/** Keeps the event loop busy, as a CPU-bound burst or a GC storm does to a saturated node. */
function saturate(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** A shedder on its own registry. */
const shedderWith = (options: LoadSheddingOptions): LoadShedder | undefined =>
  createLoadShedder(createMetrics({ service: 'shedder', defaults: false }).registry, options);

// Load shedding on a real event loop: once it is saturated, requests get a fast 503 ERR_OVERLOADED
// with Retry-After (not a queue behind the loop), probes and metrics are still answered, and the
// node serves again once the pressure is gone.
describe('load shedding', () => {
  let app: FastifyInstance;
  const metrics = createMetrics({ service: 'test', defaults: false });

  beforeAll(async () => {
    app = createApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      metrics,
      loadShedding: { maxEventLoopDelayMs: 100, sampleIntervalMs: 50 },
    });
    app.get('/work', async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves while the loop is idle, sheds while it is saturated, and recovers', async () => {
    expect((await app.inject('/work')).statusCode).toBe(200);
    await vi.waitFor(
      async () => {
        saturate(300);
        const shed = await app.inject('/work');
        expect(shed.statusCode).toBe(503);
        expect(shed.headers['retry-after']).toBe('1');
        expect(shed.json()).toMatchObject({
          code: 'ERR_OVERLOADED',
          retriable: true,
          details: { pressure: 'event_loop_delay' },
        });
        expect((await app.inject('/healthz')).statusCode).toBe(200);
      },
      { timeout: 15_000, interval: 20 },
    );
    const counted = await metrics.registry.getSingleMetric('http_requests_shed_total')?.get();
    expect(counted?.values.find((v) => v.labels.pressure === 'event_loop_delay')?.value).toBeGreaterThanOrEqual(1);
    await vi.waitFor(async () => expect((await app.inject('/work')).statusCode).toBe(200), {
      timeout: 15_000,
      interval: 50,
    });
  });

  // Each single burst, wherever it falls in the sampling period, is seen. Node's
  // monitorEventLoopDelay, reset at each period, forgot when it last woke, so a burst that began
  // right after a reset was never recorded (the payments test once saw no 503 for 15 s of bursts).
  it('sees every single burst, whatever its phase in the sampling period (default 250 ms)', async () => {
    const lone = createApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      metrics: createMetrics({ service: 'lone', defaults: false }),
      loadShedding: { maxEventLoopDelayMs: 100 },
    });
    lone.get('/work', async () => ({ ok: true }));
    try {
      await lone.ready();
      for (let burst = 0; burst < 12; burst++) {
        // Phases spread over the period: the wait below ends at a different point of it each time.
        await new Promise((resolve) => setTimeout(resolve, 23 * burst));
        saturate(300);
        await vi.waitFor(async () => expect((await lone.inject('/work')).statusCode).toBe(503), {
          timeout: 5000,
          interval: 10,
        });
        await vi.waitFor(async () => expect((await lone.inject('/work')).statusCode).toBe(200), {
          timeout: 15_000,
          interval: 50,
        });
      }
    } finally {
      await lone.close();
    }
  });

  // An idle process is not woken 20 times a second: sampling stops once no request asked for
  // sleepAfterMs, and the next request starts it again (probes and scrapes do not count).
  it('sleeps while no request comes, and samples again from the next one', async () => {
    const shedder = shedderWith({ maxEventLoopDelayMs: 100, sampleIntervalMs: 50, sleepAfterMs: 1000 });
    try {
      expect(shedder?.sampling).toBe(true);
      await vi.waitFor(() => expect(shedder?.sampling).toBe(false), { timeout: 5000, interval: 20 });
      // A stall while asleep is not seen (no request waited for it); the next request wakes it, and a
      // stall from then on is seen again.
      saturate(300);
      expect(shedder?.sampling).toBe(false);
      expect(shedder?.shed()).toBeUndefined();
      expect(shedder?.sampling).toBe(true);
      await vi.waitFor(
        () => {
          saturate(300);
          expect(shedder?.shed()?.details).toEqual({ pressure: 'event_loop_delay' });
        },
        { timeout: 5000, interval: 20 },
      );
      // Asked for, it stays awake past sleepAfterMs.
      const until = performance.now() + 1500;
      while (performance.now() < until) {
        shedder?.shed();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(shedder?.sampling).toBe(true);
    } finally {
      shedder?.close();
    }
    expect(shedder?.sampling).toBe(false);
  });

  it('checks the memory thresholds at once when a request wakes it', async () => {
    const shedder = shedderWith({ maxHeapUsedBytes: 1, sampleIntervalMs: 50, sleepAfterMs: 100 });
    try {
      await vi.waitFor(() => expect(shedder?.sampling).toBe(false), { timeout: 5000, interval: 20 });
      expect(shedder?.shed()?.details).toEqual({ pressure: 'heap_used' });
    } finally {
      shedder?.close();
    }
  });

  it('registers nothing without a threshold', async () => {
    const plain = createApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      metrics: createMetrics({ service: 'plain', defaults: false }),
    });
    try {
      await plain.ready();
      expect(plain.hasRoute({ method: 'GET', url: '/healthz' })).toBe(true);
      expect((await plain.inject('/metrics')).body).not.toContain('http_requests_shed_total');
    } finally {
      await plain.close();
    }
  });
});
