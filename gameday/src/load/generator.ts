import { setTimeout as sleep } from 'node:timers/promises';
import type { Load } from '../experiment/schema.js';
import { arrivalTimes } from './arrival.js';
import type { Client } from './http-client.js';
import { RunStats, type Outcome } from './stats.js';
import type { Workload } from './workload.js';

/** What a finished load run saw. */
export interface LoadResult {
  readonly stats: RunStats;
  /** Wall-clock start (ms since the epoch): second 0 of the stats and of the fault timeline. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Requests due but not planned because their tenant had nothing to act on yet (e.g. no account left to subscribe). */
  readonly skipped: number;
  /** Every answer of the spike stream (load.spike), in send order. */
  readonly spike: readonly SpikeAnswer[];
  /** Answers of the mix labelled `x-stale: true` (a possibly stale copy served: no-stale-reads). */
  readonly staleAnswers: number;
  /** 404 answers to reads of ids that do not exist (account.read.missing; counted ok): penetration-bounded. */
  readonly notFoundAnswers: number;
}

/** One request of the spike stream: when it left and ended (ms since the epoch) and how it ended. */
export interface SpikeAnswer {
  readonly sentAt: number;
  readonly endedAt: number;
  readonly status: number;
  readonly outcome: Outcome;
  /** The answer's `RateLimit-Policy` header (`name;q=LIMIT;w=WINDOW_S`), when it had one. */
  readonly policy?: string;
}

/** A running open-model load: live counters for the progress line, and its end. */
export interface LoadRun {
  readonly stats: RunStats;
  readonly startedAt: number;
  inFlight(): number;
  readonly done: Promise<LoadResult>;
}

/**
 * Sends `load` open-model: every request at its intended time (src/load/arrival.ts) whether or not
 * earlier ones answered, latency measured from that INTENDED time (a stall that delays sending
 * shows as latency: no coordinated omission). When `maxInFlight` requests are outstanding a due
 * request is not sent and counts as failed `dropped`. Stops early, waiting for what is in flight,
 * when `signal` aborts.
 */
export function startLoad(load: Load, workload: Workload, client: Client, signal?: AbortSignal): LoadRun {
  const stats = new RunStats();
  const startedAt = Date.now();
  const t0 = performance.now();
  let inFlight = 0;
  let skipped = 0;
  let staleAnswers = 0;
  let notFoundAnswers = 0;
  const pending = new Set<Promise<void>>();

  function fire(dueMs: number): void {
    const request = workload.plan(workload.nextOperation());
    if (request === undefined) {
      skipped++;
      return;
    }
    if (inFlight >= load.maxInFlight) {
      stats.record(request.routeClass, dueMs, 0, 'dropped');
      return;
    }
    inFlight++;
    const p = client.send(request).then((sent) => {
      inFlight--;
      const notFound = request.expectNotFound === true && sent.status === 404;
      if (notFound) notFoundAnswers++;
      stats.record(request.routeClass, dueMs, performance.now() - t0 - dueMs, notFound ? 'ok' : sent.outcome);
      if (sent.stale === true) staleAnswers++;
      if (sent.outcome === 'ok' && sent.answer !== undefined) request.acknowledged?.(sent.answer);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }

  const spike: SpikeAnswer[] = [];
  function fireSpike(): void {
    const { key, path } = load.spike!;
    const sentAt = Date.now();
    const p = client.send({ operation: 'account.read', routeClass: 'read', key, method: 'GET', path }).then((sent) => {
      spike.push({ sentAt, endedAt: Date.now(), status: sent.status, outcome: sent.outcome, policy: sent.policy });
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }

  const aborted = (): boolean => signal?.aborted === true;
  async function stream(rate: Load['rate'], send: (dueMs: number) => void): Promise<void> {
    for (const dueMs of arrivalTimes(rate, load.durationS)) {
      if (aborted()) break;
      const wait = t0 + dueMs - performance.now();
      if (wait >= 1) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (aborted()) break;
      send(dueMs);
    }
  }
  async function run(): Promise<LoadResult> {
    const spikeRate = load.spike === undefined ? undefined : { constant: load.spike.rate };
    await Promise.all([stream(load.rate, fire), spikeRate === undefined ? undefined : stream(spikeRate, fireSpike)]);
    await Promise.all(pending);
    spike.sort((a, b) => a.sentAt - b.sentAt);
    return { stats, startedAt, endedAt: Date.now(), skipped, spike, staleAnswers, notFoundAnswers };
  }

  return { stats, startedAt, inFlight: () => inFlight, done: run() };
}
