import type { Experiment, Slo } from '../experiment/schema.js';
import type { KnobSetting } from '../experiment/overrides.js';
import type { StepRecord } from '../faults/timeline.js';
import type { ClassStats, SecondStats } from '../load/stats.js';
import type { OracleResult, Verdict } from '../oracles/oracle.js';

/** One SLO judged over a run. */
export interface SloResult {
  readonly slo: Slo;
  readonly verdict: Verdict;
  readonly sent: number;
  readonly successRatio: number;
  readonly p99Ms: number;
  readonly summary: string;
}

/** A fault in force, as a shaded interval of the time axis (seconds from the start). */
export interface FaultInterval {
  readonly label: string;
  readonly fromS: number;
  readonly toS: number;
}

/** One run of an experiment (a compare has two). */
export interface RunReport {
  readonly label: string;
  readonly settings: readonly KnobSetting[];
  readonly startedAt: string;
  readonly durationS: number;
  readonly seconds: readonly SecondStats[];
  readonly total: Record<'all' | 'read' | 'write', ClassStats>;
  readonly skipped: number;
  readonly steps: readonly StepRecord[];
  readonly faults: readonly FaultInterval[];
  readonly slos: readonly SloResult[];
  readonly invariants: readonly OracleResult[];
  /** Why this run could not be judged (a step failed, it was interrupted); absent when it ran. */
  readonly couldNotRun?: string;
}

/** The whole report: the experiment as it ran and every run. */
export interface Report {
  readonly name: string;
  readonly experiment: Experiment;
  readonly outcome: 'held' | 'not-held' | 'could-not-run';
  readonly runs: readonly RunReport[];
}
