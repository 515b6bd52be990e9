import { stringify } from 'yaml';
import type { RouteClass } from '../experiment/schema.js';
import type { SloFile, StandingSlo } from './schema.js';

/** The public API at the gateway: its proxy route (health and admin routes are not in the SLO). */
const BASE = 'job="gateway",route="/v1/*"';
const CLASS_SELECTOR: Record<RouteClass, string> = {
  all: '',
  read: ',method=~"GET|HEAD"',
  write: ',method=~"POST|PUT|PATCH|DELETE"',
};
const METRIC = 'http_request_duration_seconds';

/**
 * Multi-window multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs", table 5-8): fire
 * when the long AND the short window burn the budget `factor` times faster than it lasts.
 */
export const BURN_RATE_TIERS = [
  { long: '1h', short: '5m', factor: 14.4, severity: 'page' },
  { long: '6h', short: '30m', factor: 6, severity: 'page' },
  { long: '1d', short: '2h', factor: 3, severity: 'ticket' },
  { long: '3d', short: '6h', factor: 1, severity: 'ticket' },
] as const;

/** The latency SLI: 99 % of requests under the threshold. */
const LATENCY_OBJECTIVE = 0.99;

/** Numbers as a person writes them (1 - 0.999 is 0.0010000000000000009 in floating point). */
const num = (x: number): string => String(Number(x.toPrecision(12)));

const UNIT_S: Record<string, number> = { m: 60, h: 3600, d: 86_400 };
const seconds = (window: string): number => Number(window.slice(0, -1)) * UNIT_S[window.slice(-1)]!;

interface Sli {
  readonly slo: StandingSlo;
  readonly sli: 'availability' | 'latency';
  readonly objective: number;
  /** The ratio of bad events over a window, as PromQL. */
  readonly badRatio: (window: string) => string;
}

function slisOf(slo: StandingSlo): Sli[] {
  const sel = `${BASE}${CLASS_SELECTOR[slo.class]}`;
  const total = (w: string) => `sum(rate(${METRIC}_count{${sel}}[${w}]))`;
  const out: Sli[] = [
    {
      slo,
      sli: 'availability',
      objective: slo.availability,
      // `or vector(0)`: with no 5xx yet the error series does not exist, and the ratio would be empty.
      badRatio: (w) => `(sum(rate(${METRIC}_count{${sel},status_code=~"5.."}[${w}])) or vector(0)) / ${total(w)}`,
    },
  ];
  if (slo.latency !== undefined) {
    const le = num(slo.latency.p99Ms / 1000);
    out.push({
      slo,
      sli: 'latency',
      objective: LATENCY_OBJECTIVE,
      badRatio: (w) => `1 - sum(rate(${METRIC}_bucket{${sel},le="${le}"}[${w}])) / ${total(w)}`,
    });
  }
  return out;
}

const labels = (s: Sli) => ({ slo: s.slo.name, slo_class: s.slo.class, sli: s.sli });
const matcher = (s: Sli) => `{slo="${s.slo.name}",sli="${s.sli}"}`;

/** infra/prometheus/rules/slo.yml for an SLO file: recording rules per window, budget left, burn-rate alerts. */
export function prometheusRules(file: SloFile): string {
  const slis = file.slos.flatMap(slisOf);
  const budgetWindow = `${file.windowDays}d`;
  const windows = [...new Set([...BURN_RATE_TIERS.flatMap((t) => [t.short, t.long]), budgetWindow])].sort(
    (a, b) => seconds(a) - seconds(b),
  );
  const recording = (ws: string[]) =>
    slis.flatMap((s) =>
      ws.map((w) => ({ record: `slo:sli_error:ratio_rate${w}`, expr: s.badRatio(w), labels: labels(s) })),
    );
  // Windows of hours and days read every sample they span: once a minute is fresh enough for them
  // (and for the budget and the slower alerts) and spares the 2-core machine.
  const short = windows.filter((w) => seconds(w) <= 3600);
  const long = windows.filter((w) => seconds(w) > 3600);
  // The objectives are constants, evaluated at the global interval (5 s): the console lists the SLOs
  // from them, so a group of 1 m (first evaluated up to a minute after Prometheus starts) left the
  // panel empty that long (the console e2e test, run first on a fresh cluster, once timed out).
  const objectives = slis.map((s) => ({
    record: 'slo:objective:ratio',
    expr: `vector(${num(s.objective)})`,
    labels: labels(s),
  }));
  const budget = slis.map((s) => ({
    record: 'slo:error_budget_remaining:ratio',
    expr: `1 - slo:sli_error:ratio_rate${budgetWindow}${matcher(s)} / ${num(1 - s.objective)}`,
    labels: labels(s),
  }));
  const alerts = slis.flatMap((s) =>
    BURN_RATE_TIERS.map((t) => {
      const threshold = `${num(t.factor)} * ${num(1 - s.objective)}`;
      return {
        alert: 'SloErrorBudgetBurn',
        expr:
          `slo:sli_error:ratio_rate${t.long}${matcher(s)} > (${threshold})` +
          ` and slo:sli_error:ratio_rate${t.short}${matcher(s)} > (${threshold})`,
        labels: { ...labels(s), severity: t.severity, long_window: t.long, short_window: t.short },
        annotations: {
          summary: `SLO ${s.slo.name} (${s.sli}): the ${budgetWindow} error budget burns ${num(t.factor)}x too fast`,
          description:
            `Over ${t.long} and ${t.short} more than ${num(t.factor * (1 - s.objective) * 100)} % of ${s.slo.class} ` +
            `requests were bad ({{ $value | humanizePercentage }} over ${t.long}); objective ${num(s.objective * 100)} %.`,
        },
      };
    }),
  );
  const doc = {
    groups: [
      { name: 'slo-objectives', rules: objectives },
      { name: 'slo-sli-short-windows', rules: recording(short) },
      { name: 'slo-sli-long-windows', interval: '1m', rules: recording(long) },
      { name: 'slo-error-budget', interval: '1m', rules: budget },
      { name: 'slo-burn-rate-alerts', rules: alerts },
    ],
  };
  const header = [
    '# GENERATED from infra/slo/slos.yaml by `node gameday/dist/generate-files.js`: do not edit by hand',
    '# (gameday/test/generated-files.test.ts fails when this file and the generator disagree).',
    '# Bad-event ratios per SLO, SLI and window; the budget left over the SLO window; burn-rate alerts.',
  ];
  return `${header.join('\n')}\n${stringify(doc, { lineWidth: 0 })}`;
}
