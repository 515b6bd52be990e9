import type { SecondStats } from '../load/stats.js';
import type { RunReport } from './model.js';

const W = 960;
const LEFT = 64;
const RIGHT = 16;
const PANEL = 140;
const GAP = 34;
const COLORS = ['#1f6fd1', '#e07b00'];

interface Series {
  readonly values: ReadonlyArray<number | undefined>;
  readonly color: string;
  readonly dashed?: boolean;
  readonly name: string;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: Series[];
  readonly min?: number;
  readonly max?: number;
  readonly target?: number;
}

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

/** The error budget of the run's `all` SLO consumed so far, in % (more than 100 = the SLO is broken). */
function budgetBurn(run: RunReport): number[] {
  const target =
    run.slos.find((s) => s.slo.class === 'all')?.slo.successRatio ?? run.slos[0]?.slo.successRatio ?? 0.999;
  const budget = Math.max(1 - target, 1e-6) * Math.max(run.total.all.sent, 1);
  let failed = 0;
  return run.seconds.map((s) => ((failed += s.classes.all.failed), (failed / budget) * 100));
}

function panelsOf(runs: readonly RunReport[]): Panel[] {
  const per = (f: (s: SecondStats) => number | undefined) => (run: RunReport) => run.seconds.map(f);
  const series = (name: string, f: (run: RunReport) => ReadonlyArray<number | undefined>, dashed = false): Series[] =>
    runs.map((run, i) => ({
      name: `${name}${runs.length > 1 ? ` (${run.label})` : ''}`,
      values: f(run),
      color: COLORS[i % 2]!,
      dashed,
    }));
  const target = runs[0]?.slos.find((s) => s.slo.class === 'all')?.slo.successRatio;
  const ratios = runs.flatMap((r) =>
    r.seconds.map((s) => (s.classes.all.sent ? s.classes.all.ok / s.classes.all.sent : 1)),
  );
  return [
    {
      title: 'Throughput: answered ok per second (solid), failed per second (dashed)',
      unit: 'req/s',
      min: 0,
      series: [
        ...series(
          'ok/s',
          per((s) => s.classes.all.ok),
        ),
        ...series(
          'failed/s',
          per((s) => s.classes.all.failed),
          true,
        ),
      ],
    },
    {
      title: 'Success ratio per second',
      unit: '%',
      max: 100,
      min: Math.min(99, ...ratios.map((r) => r * 100)),
      target: target === undefined ? undefined : target * 100,
      series: series(
        'success',
        per((s) => (s.classes.all.sent ? (s.classes.all.ok / s.classes.all.sent) * 100 : undefined)),
      ),
    },
    {
      title: 'Latency from the intended send time: p99 (solid), p50 (dashed)',
      unit: 'ms',
      min: 0,
      series: [
        ...series(
          'p99',
          per((s) => (s.classes.all.sent ? s.classes.all.p99Ms : undefined)),
        ),
        ...series(
          'p50',
          per((s) => (s.classes.all.sent ? s.classes.all.p50Ms : undefined)),
          true,
        ),
      ],
    },
    {
      title: "Error budget consumed (cumulative, % of the run's budget)",
      unit: '%',
      min: 0,
      target: 100,
      series: series('budget', budgetBurn),
    },
  ];
}

/**
 * The report's chart, drawn by hand as one inline SVG (no library, no network): four panels on one
 * time axis (throughput, success ratio, p50/p99, error budget burn), the faults of every run shaded
 * across all panels, one colour per run so a compare shows both on the same axes.
 */
export function renderChart(runs: readonly RunReport[]): string {
  const panels = panelsOf(runs);
  const spanS = Math.max(1, ...runs.map((r) => Math.max(r.durationS, r.seconds.length)));
  const height = panels.length * (PANEL + GAP) + 30;
  const x = (t: number) => LEFT + ((W - LEFT - RIGHT) * t) / spanS;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="game day chart" data-testid="chart" font-family="sans-serif" font-size="11">`,
  );
  panels.forEach((p, i) => {
    const top = i * (PANEL + GAP) + 20;
    const values = p.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
    const lo = p.min ?? Math.min(0, ...values);
    const hi = Math.max(p.max ?? -Infinity, p.target ?? -Infinity, ...values, lo + 1);
    const top2 = p.max ?? hi;
    const y = (v: number) => top + PANEL - (PANEL * (Math.min(v, top2) - lo)) / (top2 - lo || 1);
    out.push(
      `<g class="panel" data-panel="${i}"><text x="${LEFT}" y="${top - 6}" font-weight="bold">${esc(p.title)}</text>`,
    );
    out.push(
      `<rect x="${LEFT}" y="${top}" width="${W - LEFT - RIGHT}" height="${PANEL}" fill="#fafafa" stroke="#ccc"/>`,
    );
    runs.forEach((run, r) => {
      for (const f of run.faults) {
        out.push(
          `<rect class="fault" x="${x(f.fromS)}" y="${top}" width="${Math.max(2, x(f.toS) - x(f.fromS))}" height="${PANEL}" fill="${COLORS[r % 2]}" fill-opacity="0.12"><title>${esc(f.label)}</title></rect>`,
        );
        if (i === 0)
          out.push(`<text x="${x(f.fromS) + 3}" y="${top + 12 + r * 12}" fill="#555">${esc(f.label)}</text>`);
      }
    });
    for (const frac of [0, 0.5, 1]) {
      const v = lo + (top2 - lo) * frac;
      out.push(`<text x="${LEFT - 4}" y="${y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)} ${p.unit}</text>`);
    }
    if (p.target !== undefined)
      out.push(
        `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(p.target)}" y2="${y(p.target)}" stroke="#c00" stroke-dasharray="2 3"><title>objective ${fmt(p.target)} ${p.unit}</title></line>`,
      );
    for (const s of p.series) {
      const d = s.values
        .map((v, t) => (v === undefined ? '' : `${x(t + 0.5).toFixed(1)},${y(v).toFixed(1)}`))
        .filter((pt) => pt !== '');
      if (d.length > 0)
        out.push(
          `<polyline class="series" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${d.join(' ')}"><title>${esc(s.name)}</title></polyline>`,
        );
    }
    out.push('</g>');
  });
  const axisY = panels.length * (PANEL + GAP) + 4;
  for (let t = 0; t <= spanS; t += Math.max(1, Math.ceil(spanS / 12))) {
    out.push(`<text x="${x(t)}" y="${axisY}" text-anchor="middle" fill="#555">${t} s</text>`);
  }
  runs.forEach((run, r) =>
    out.push(
      `<text x="${W - RIGHT - 200 * (runs.length - r)}" y="${height - 4}" fill="${COLORS[r % 2]}">■ ${esc(run.label)}</text>`,
    ),
  );
  out.push('</svg>');
  return out.join('\n');
}
