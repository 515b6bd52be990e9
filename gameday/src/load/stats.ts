import { build, type Histogram } from 'hdr-histogram-js';
import type { RouteClass } from '../experiment/schema.js';

/** How one request ended: `ok`, or why it failed (`502 LB_ERR_UPSTREAM_RESET`, `timeout`, `dropped`, ...). */
export type Outcome = 'ok' | string;

/** One route class in one second (or over the whole run). */
export interface ClassStats {
  sent: number;
  ok: number;
  failed: number;
  /** Failed requests by status and code. */
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One second of the run, by the INTENDED send time of its requests. */
export interface SecondStats {
  readonly second: number;
  readonly classes: Record<RouteClass, ClassStats>;
}

// 1 ms .. 1 h at 3 significant digits; packed arrays keep the many per-second histograms small.
const newHistogram = (): Histogram =>
  build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });

class Cell {
  readonly histogram = newHistogram();
  sent = 0;
  ok = 0;
  readonly failures: Record<string, number> = {};

  record(latencyMs: number, outcome: Outcome): void {
    this.sent++;
    if (outcome === 'ok') this.ok++;
    else this.failures[outcome] = (this.failures[outcome] ?? 0) + 1;
    // Dropped requests were never sent: they have no latency to record.
    if (outcome !== 'dropped') this.histogram.recordValue(Math.max(1, Math.round(latencyMs)));
  }

  summary(): ClassStats {
    const h = this.histogram;
    const has = h.totalCount > 0;
    return {
      sent: this.sent,
      ok: this.ok,
      failed: this.sent - this.ok,
      failures: { ...this.failures },
      p50Ms: has ? h.getValueAtPercentile(50) : 0,
      p99Ms: has ? h.getValueAtPercentile(99) : 0,
      maxMs: has ? h.maxValue : 0,
    };
  }
}

const classesOf = (routeClass: Exclude<RouteClass, 'all'>): RouteClass[] => ['all', routeClass];

/** Per-second and whole-run counts and latency histograms, per route class. */
export class RunStats {
  readonly #seconds: Array<Record<RouteClass, Cell>> = [];
  readonly #total: Record<RouteClass, Cell> = { all: new Cell(), read: new Cell(), write: new Cell() };

  /** A request due at `intendedMs` (from the start) that took `latencyMs` from then to its end. */
  record(routeClass: Exclude<RouteClass, 'all'>, intendedMs: number, latencyMs: number, outcome: Outcome): void {
    const second = Math.floor(intendedMs / 1000);
    while (this.#seconds.length <= second) this.#seconds.push({ all: new Cell(), read: new Cell(), write: new Cell() });
    for (const c of classesOf(routeClass)) {
      this.#seconds[second]![c].record(latencyMs, outcome);
      this.#total[c].record(latencyMs, outcome);
    }
  }

  seconds(): SecondStats[] {
    return this.#seconds.map((cells, second) => ({
      second,
      classes: { all: cells.all.summary(), read: cells.read.summary(), write: cells.write.summary() },
    }));
  }

  total(): Record<RouteClass, ClassStats> {
    return { all: this.#total.all.summary(), read: this.#total.read.summary(), write: this.#total.write.summary() };
  }
}
