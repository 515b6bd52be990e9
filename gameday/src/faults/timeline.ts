import type { Rollback, Step } from '../experiment/schema.js';

/** Carries out one step: a Docker verb on a service or a lab knob (src/faults/lab-executor.ts). */
export interface Executor {
  run(step: Rollback): Promise<void>;
}

/** What happened to one step: when it was due, when it fired (ms from the start), and whether it worked. */
export interface StepRecord {
  readonly step: Rollback & { at?: number };
  readonly phase: 'method' | 'rollback';
  readonly dueMs: number;
  readonly firedMs: number;
  readonly endedMs: number;
  readonly error?: string;
}

export interface TimelineResult {
  readonly records: StepRecord[];
  /** The run was cut short (Ctrl-C or the caller's signal); the rollbacks ran all the same. */
  readonly aborted: boolean;
}

export interface TimelineOptions {
  readonly method: readonly Step[];
  readonly rollbacks: readonly Rollback[];
  readonly executor: Executor;
  /** Stops the method early (the rollbacks still run). */
  readonly signal?: AbortSignal;
  /** Ms since the start of the run (default: since this call). */
  readonly now?: () => number;
  /** Resolves when the load is over: the rollbacks run after it and after the last step. */
  readonly until?: Promise<unknown>;
}

/** Waits `ms` or until `signal` aborts (the global timer: a test's fake clock drives it). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Fires each step of the method at its offset (in order; steps due together run one after the
 * other), records when each actually fired and how it ended, then ALWAYS runs every rollback, in
 * order, even when a step failed or the caller aborted (Ctrl-C: src/faults/interrupt.ts). A failed step does not
 * stop the timeline: the report shows it and the run is judged "could not run".
 */
export async function runTimeline(options: TimelineOptions): Promise<TimelineResult> {
  const started = performance.now();
  const now = options.now ?? (() => performance.now() - started);
  const local = new AbortController();
  const onAbort = () => local.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) local.abort();
  const records: StepRecord[] = [];
  const fire = async (step: Rollback & { at?: number }, phase: StepRecord['phase'], dueMs: number) => {
    const firedMs = now();
    try {
      await options.executor.run(step);
      records.push({ step, phase, dueMs, firedMs, endedMs: now() });
    } catch (err) {
      records.push({ step, phase, dueMs, firedMs, endedMs: now(), error: message(err) });
    }
  };
  try {
    const steps = [...options.method].sort((a, b) => a.at - b.at);
    for (const step of steps) {
      const wait = step.at * 1000 - now();
      if (wait > 0) await delay(wait, local.signal);
      if (local.signal.aborted) break;
      await fire(step, 'method', step.at * 1000);
    }
    if (options.until !== undefined && !local.signal.aborted) {
      await Promise.race([options.until, new Promise((resolve) => local.signal.addEventListener('abort', resolve))]);
    }
  } finally {
    // Rollbacks: always, in order, each on its own (one failing does not skip the next).
    for (const rollback of options.rollbacks) await fire(rollback, 'rollback', now());
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { records, aborted: local.signal.aborted };
}
