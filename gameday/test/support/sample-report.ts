import type { Experiment } from '../../src/experiment/schema.js';
import { RunStats } from '../../src/load/stats.js';
import { faultIntervals, judgeSlo, outcomeOf } from '../../src/report/judge.js';
import type { Report, RunReport } from '../../src/report/model.js';
import type { StepRecord } from '../../src/faults/timeline.js';

export const experiment: Experiment = {
  title: 'An api node killed under load',
  hypothesis: {
    slos: [
      { class: 'all', successRatio: 0.999 },
      { class: 'read', successRatio: 1, p99Ms: 500 },
    ],
    invariants: ['no-acknowledged-write-lost'],
    healthyWithinS: 90,
  },
  load: {
    rate: { constant: 10 },
    durationS: 20,
    mix: { 'account.create': 1, 'account.read': 9 },
    keys: ['lab-demo-key'],
    maxInFlight: 10,
    timeoutMs: 1000,
    seedAccounts: 1,
  },
  method: [
    { at: 5, action: 'kill', service: 'api-2' },
    { at: 12, action: 'start', service: 'api-2' },
  ],
  rollbacks: [{ action: 'start', service: 'api-2' }],
};

/** A run made from synthetic numbers: `failAt` seconds have 3 failed reads each. */
export function sampleRun(label: string, failAt: readonly number[]): RunReport {
  const stats = new RunStats();
  for (let s = 0; s < 20; s++) {
    for (let i = 0; i < 10; i++) {
      const failed = failAt.includes(s) && i < 3;
      stats.record(i === 0 ? 'write' : 'read', s * 1000 + i * 100, 20 + s, failed ? '502 LB_ERR_UPSTREAM_RESET' : 'ok');
    }
  }
  const steps: StepRecord[] = [
    { step: experiment.method[0]!, phase: 'method', dueMs: 5000, firedMs: 5010, endedMs: 5200 },
    { step: experiment.method[1]!, phase: 'method', dueMs: 12_000, firedMs: 12_005, endedMs: 12_300 },
    { step: experiment.rollbacks[0]!, phase: 'rollback', dueMs: 20_000, firedMs: 20_000, endedMs: 20_100 },
  ];
  const total = stats.total();
  return {
    label,
    settings: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    durationS: 20,
    seconds: stats.seconds(),
    total,
    skipped: 0,
    steps,
    faults: faultIntervals(steps, 20),
    slos: experiment.hypothesis.slos.map((slo) => judgeSlo(slo, total[slo.class])),
    invariants: [{ name: 'no-acknowledged-write-lost', verdict: 'pass', summary: '20 of 20 read back', evidence: {} }],
  };
}

export function sampleReport(runs: RunReport[]): Report {
  return { name: 'api-node-kill', experiment, outcome: outcomeOf(runs.slice(0, 1)), runs };
}
