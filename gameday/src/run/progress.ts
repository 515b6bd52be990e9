import type { Experiment } from '../experiment/schema.js';
import { rateAt } from '../load/arrival.js';
import type { LoadRun } from '../load/generator.js';

/** The fault in force at `tS` by the schedule: the last breaking step of each service not yet undone. */
function faultAt(experiment: Experiment, tS: number): string {
  const undo: Record<string, string> = { kill: 'start', stop: 'start', pause: 'unpause', disconnect: 'connect' };
  const open = new Map<string, string>();
  for (const step of experiment.method.filter((s) => s.at <= tS).sort((a, b) => a.at - b.at)) {
    if (step.action === 'knob') {
      if (step.value === null) open.delete(step.knob);
      else open.set(step.knob, `${step.knob}=${String(step.value)}`);
    } else if (undo[step.action] !== undefined) open.set(step.service, `${step.action} ${step.service}`);
    else if ([...Object.values(undo)].includes(step.action)) open.delete(step.service);
  }
  return [...open.values()].join(', ') || 'none';
}

/** One progress line: elapsed, arrival rate, success over the last full second and overall, p99, the fault in force. */
export function progressLine(experiment: Experiment, run: LoadRun): string {
  const elapsedS = (Date.now() - run.startedAt) / 1000;
  const seconds = run.stats.seconds();
  const last = seconds[Math.max(0, Math.floor(elapsedS) - 2)]?.classes.all;
  const total = run.stats.total().all;
  const pct = (ok: number, sent: number) => (sent === 0 ? '  -  ' : `${((ok / sent) * 100).toFixed(2)} %`);
  return [
    `${elapsedS.toFixed(0).padStart(4)}/${experiment.load.durationS} s`,
    `rate ${rateAt(experiment.load.rate, experiment.load.durationS, elapsedS).toFixed(0)}/s`,
    `ok ${pct(last?.ok ?? 0, last?.sent ?? 0)} (run ${pct(total.ok, total.sent)}, ${total.failed} failed)`,
    `p99 ${last?.p99Ms ?? 0} ms`,
    `in flight ${run.inFlight()}`,
    `fault: ${faultAt(experiment, elapsedS)}`,
  ].join('  ');
}
