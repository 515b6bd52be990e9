import type { Report } from './model.js';

/** The report as Markdown: the outcome, the verdicts and the failures of each run. */
export function renderMarkdown(report: Report): string {
  const lines = [
    `# Game day: ${report.experiment.title}`,
    '',
    `**Hypothesis ${report.outcome.replace(/-/g, ' ')}** (${report.name})`,
    '',
  ];
  for (const run of report.runs) {
    lines.push(`## Run: ${run.label}`, '');
    lines.push(
      `Started ${run.startedAt}, ${run.durationS} s, ${run.total.all.sent} requests, p99 ${run.total.all.p99Ms} ms.`,
    );
    if (run.couldNotRun !== undefined) lines.push('', `**Could not run:** ${run.couldNotRun}`);
    lines.push('', '| what | verdict | evidence |', '|---|---|---|');
    for (const s of run.slos) lines.push(`| SLO ${s.slo.class} | ${s.verdict} | ${s.summary} |`);
    for (const o of run.invariants) lines.push(`| ${o.name} | ${o.verdict} | ${o.summary} |`);
    const failures = Object.entries(run.total.all.failures).sort((a, b) => b[1] - a[1]);
    if (failures.length > 0) {
      lines.push('', '| failure | requests |', '|---|---|', ...failures.map(([code, n]) => `| \`${code}\` | ${n} |`));
    }
    lines.push(
      '',
      'Faults in force:',
      '',
      ...run.faults.map((f) => `- ${f.label}: ${f.fromS.toFixed(1)} s to ${f.toS.toFixed(1)} s`),
      '',
    );
  }
  return lines.join('\n');
}
