import type { Slo } from '../experiment/schema.js';
import type { StepRecord } from '../faults/timeline.js';
import type { ClassStats } from '../load/stats.js';
import type { FaultInterval, Report, RunReport, SloResult } from './model.js';

const pct = (x: number): string => `${(x * 100).toFixed(3).replace(/\.?0+$/, '')} %`;

/** One SLO against the whole-run totals of its route class. */
export function judgeSlo(slo: Slo, total: ClassStats): SloResult {
  const ratio = total.sent === 0 ? 0 : total.ok / total.sent;
  const ratioOk = total.sent > 0 && ratio >= slo.successRatio;
  const p99Ok = slo.p99Ms === undefined || total.p99Ms <= slo.p99Ms;
  const latency = slo.p99Ms === undefined ? '' : `, p99 ${total.p99Ms} ms (objective <= ${slo.p99Ms} ms)`;
  return {
    slo,
    verdict: ratioOk && p99Ok ? 'pass' : 'fail',
    sent: total.sent,
    successRatio: ratio,
    p99Ms: total.p99Ms,
    summary: `${slo.name !== undefined && slo.name !== slo.class ? `${slo.name} (${slo.class})` : slo.class}: ${total.ok}/${total.sent} ok = ${pct(ratio)} (objective >= ${pct(slo.successRatio)}), ${total.failed} failed${latency}`,
  };
}

const BREAKS: Record<string, string> = { kill: 'start', stop: 'start', pause: 'unpause', disconnect: 'connect' };

/**
 * The faults as intervals: a kill/stop/pause/disconnect of a service lasts until the step that
 * undoes it (start/unpause/connect, method or rollback), a knob until the next setting of the same
 * knob, a restart is an instant; anything still open ends with the run.
 */
export function faultIntervals(steps: readonly StepRecord[], endS: number): FaultInterval[] {
  const open = new Map<string, FaultInterval & { undo: string }>();
  const out: FaultInterval[] = [];
  for (const r of steps) {
    const t = r.firedMs / 1000;
    const s = r.step;
    if (s.action === 'knob') {
      const prev = open.get(`knob ${s.knob}`);
      if (prev !== undefined) out.push({ label: prev.label, fromS: prev.fromS, toS: t });
      open.delete(`knob ${s.knob}`);
      if (s.value !== null && r.phase === 'method') {
        open.set(`knob ${s.knob}`, { label: `${s.knob}=${String(s.value)}`, fromS: t, toS: endS, undo: '' });
      }
      continue;
    }
    const key = `${s.service} ${s.network ?? ''}`;
    const prev = open.get(key);
    if (prev !== undefined && prev.undo === s.action) {
      out.push({ label: prev.label, fromS: prev.fromS, toS: t });
      open.delete(key);
    } else if (BREAKS[s.action] !== undefined && r.phase === 'method' && r.error === undefined) {
      open.set(key, {
        label: `${s.action} ${s.service}${s.network ? ` (${s.network})` : ''}`,
        fromS: t,
        toS: endS,
        undo: BREAKS[s.action]!,
      });
    } else if (s.action === 'restart') out.push({ label: `restart ${s.service}`, fromS: t, toS: r.endedMs / 1000 });
  }
  for (const f of open.values()) out.push({ label: f.label, fromS: f.fromS, toS: Math.max(f.fromS, endS) });
  return out.sort((a, b) => a.fromS - b.fromS);
}

/** Held = every run ran, every SLO and every invariant passed; could-not-run wins over not-held. */
export function outcomeOf(runs: readonly RunReport[]): Report['outcome'] {
  if (runs.some((r) => r.couldNotRun !== undefined)) return 'could-not-run';
  const ok = runs.every((r) => [...r.slos, ...r.invariants].every((v) => v.verdict === 'pass'));
  return ok ? 'held' : 'not-held';
}
