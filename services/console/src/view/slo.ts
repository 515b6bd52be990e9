import type { ClusterStatus } from '../sources/cluster-status.js';
import { samples } from './node-health.js';

/** One SLI of one SLO: its objective, how it does now, and the error budget left. */
export interface SloRowView {
  readonly slo: string;
  /** The route class it measures (`all`, `read`, `write`). */
  readonly routeClass: string;
  readonly sli: string;
  /** Good-event objective (0.999). */
  readonly objective: number;
  /** `99.9 % not 5xx`, `99 % within the p99 bound`. */
  readonly objectiveLabel: string;
  /** Share of good events over 5 m and 1 h (absent: no traffic in that window). */
  readonly good5m?: number;
  readonly good1h?: number;
  /** How fast the budget burns over 1 h: 1 spends it exactly over the SLO window. */
  readonly burnRate1h?: number;
  /** Share of the SLO window's error budget left (1 = untouched, 0 or less = spent). */
  readonly budgetRemaining?: number;
  readonly status: 'ok' | 'burning' | 'exhausted' | 'no-data';
  /** The status in words: `OK`, `BURNING (page alert firing)`, `BUDGET SPENT`, `NO DATA`. */
  readonly statusLabel: string;
}

export interface SloView {
  readonly rows: readonly SloRowView[];
}

const pct = (ratio: number) => `${Number((ratio * 100).toFixed(3))} %`;

/**
 * The SLO panel: per SLO and SLI (route class x availability / latency), the objective, the good
 * ratio over 5 m and 1 h, the 1 h burn rate and the error budget left, from the recording rules
 * generated from infra/slo/slos.yaml. A firing burn-rate alert marks the row BURNING.
 */
export function sloView(status: ClusterStatus): SloView {
  const key = (labels: Readonly<Record<string, string>>) => `${labels.slo ?? ''}|${labels.sli ?? ''}`;
  const series = (name: string) => new Map(samples(status, name).map((s) => [key(s.labels), s.value]));
  const budget = series('sloBudgetRemaining');
  const error5m = series('sloError5m');
  const error1h = series('sloError1h');
  const alerts = new Map<string, string[]>();
  for (const s of samples(status, 'sloBurnAlerts')) {
    alerts.set(key(s.labels), [...(alerts.get(key(s.labels)) ?? []), s.labels.severity ?? 'alert']);
  }
  const rows = samples(status, 'sloObjective').map((o): SloRowView => {
    const k = key(o.labels);
    const sli = o.labels.sli ?? '';
    const objective = o.value;
    const e5 = error5m.get(k);
    const e1 = error1h.get(k);
    const left = budget.get(k);
    const firing = alerts.get(k);
    const status = left === undefined ? 'no-data' : left <= 0 ? 'exhausted' : firing !== undefined ? 'burning' : 'ok';
    const statusLabel = {
      'no-data': 'NO DATA',
      exhausted: 'BUDGET SPENT',
      burning: `BURNING (${[...new Set(firing)].join(', ')} alert firing)`,
      ok: 'OK',
    }[status];
    return {
      slo: o.labels.slo ?? '',
      routeClass: o.labels.slo_class ?? '',
      sli,
      objective,
      objectiveLabel: `${pct(objective)} ${sli === 'latency' ? 'within the p99 bound' : 'not 5xx'}`,
      ...(e5 === undefined ? {} : { good5m: 1 - e5 }),
      ...(e1 === undefined ? {} : { good1h: 1 - e1, burnRate1h: e1 / (1 - objective) }),
      ...(left === undefined ? {} : { budgetRemaining: left }),
      status,
      statusLabel,
    };
  });
  const order = (r: SloRowView) => `${r.slo === 'all' ? '' : r.slo}|${r.sli}`;
  return { rows: rows.sort((a, b) => order(a).localeCompare(order(b))) };
}
