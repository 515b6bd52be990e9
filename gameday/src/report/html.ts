import type { Report, RunReport } from './model.js';
import { renderChart } from './svg-chart.js';

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const badge = (v: string) => `<span class="verdict ${v}" data-verdict="${v}">${v.toUpperCase()}</span>`;

function verdictRows(run: RunReport): string {
  const slos = run.slos.map(
    (s) =>
      `<tr data-kind="slo"><td>SLO ${esc(s.slo.class)}</td><td>${badge(s.verdict)}</td><td>${esc(s.summary)}</td></tr>`,
  );
  const inv = run.invariants.map(
    (o) =>
      `<tr data-kind="invariant"><td>${esc(o.name)}</td><td>${badge(o.verdict)}</td><td>${esc(o.summary)}</td></tr>`,
  );
  return [...slos, ...inv].join('\n');
}

function failures(run: RunReport): string {
  const rows = Object.entries(run.total.all.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `<tr><td><code>${esc(code)}</code></td><td>${n}</td></tr>`);
  return rows.length === 0
    ? '<p>No failed request.</p>'
    : `<table><tr><th>failure</th><th>requests</th></tr>${rows.join('')}</table>`;
}

function steps(run: RunReport): string {
  const rows = run.steps.map((r) => {
    const s = r.step;
    const what =
      s.action === 'knob'
        ? `knob ${s.knob}=${String(s.value)}`
        : `${s.action} ${s.service}${s.network ? ` (${s.network})` : ''}`;
    const due = r.phase === 'method' ? `${(r.dueMs / 1000).toFixed(1)} s` : 'rollback';
    return `<tr><td>${due}</td><td>${(r.firedMs / 1000).toFixed(2)} s</td><td>${esc(what)}</td><td>${r.error === undefined ? 'ok' : `<b>failed</b>: ${esc(r.error)}`}</td></tr>`;
  });
  return `<table><tr><th>due</th><th>fired</th><th>step</th><th>result</th></tr>${rows.join('')}</table>`;
}

function runSection(run: RunReport): string {
  const settings = run.settings.map((s) => `${s.knob}=${String(s.value)}`).join(', ') || 'none';
  return `<section class="run" data-run="${esc(run.label)}">
<h2>Run: ${esc(run.label)}</h2>
<p>Started ${esc(run.startedAt)}, ${run.durationS} s, settings: ${esc(settings)}; ${run.total.all.sent} requests, p99 ${run.total.all.p99Ms} ms, ${run.skipped} not planned.${run.couldNotRun ? ` <b>Could not run: ${esc(run.couldNotRun)}</b>` : ''}</p>
<table class="verdicts"><tr><th>what</th><th>verdict</th><th>evidence</th></tr>${verdictRows(run)}</table>
<h3>Failures by status and code</h3>${failures(run)}
<h3>Timeline (due and actual fire time)</h3>${steps(run)}
</section>`;
}

/** The self-contained page: inline CSS and SVG, no script, nothing fetched. */
export function renderHtml(report: Report): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Game day ${esc(report.name)}: ${report.outcome}</title>
<style>
body{font-family:sans-serif;margin:24px;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.verdict{font-weight:bold;padding:1px 6px;border-radius:3px;color:#fff}.pass{background:#2a8a3a}.fail{background:#c0392b}.not-run{background:#888}
.outcome{font-size:20px;padding:8px 12px;border-radius:4px;color:#fff;display:inline-block}
.held{background:#2a8a3a}.not-held{background:#c0392b}.could-not-run{background:#888}
</style></head><body>
<h1>Game day: ${esc(report.experiment.title)}</h1>
<p class="outcome ${report.outcome}" data-testid="outcome">Hypothesis ${report.outcome.replace(/-/g, ' ')}</p>
${report.experiment.description ? `<p>${esc(report.experiment.description)}</p>` : ''}
${renderChart(report.runs)}
${report.runs.map(runSection).join('\n')}
</body></html>
`;
}
