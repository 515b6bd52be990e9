import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html.js';
import { faultIntervals } from '../src/report/judge.js';
import { writeReport } from '../src/report/write-report.js';
import { sampleReport, sampleRun } from './support/sample-report.js';

describe('the report', () => {
  it('judges each SLO from the run and says why', () => {
    const failing = sampleRun('baseline', [6, 7]);
    expect(failing.slos.map((s) => s.verdict)).toEqual(['fail', 'fail']);
    expect(failing.slos[0]!.summary).toContain('194/200');
    expect(sampleRun('baseline', []).slos.map((s) => s.verdict)).toEqual(['pass', 'pass']);
    expect(sampleReport([failing]).outcome).toBe('not-held');
    expect(sampleReport([sampleRun('baseline', [])]).outcome).toBe('held');
  });

  it('draws a kill as a fault interval until the start that undoes it', () => {
    expect(sampleRun('baseline', []).faults).toEqual([{ label: 'kill api-2', fromS: 5.01, toS: 12.005 }]);
    // Never undone: it lasts to the end of the run.
    const open = faultIntervals(
      [
        {
          step: { at: 3, action: 'pause', service: 'etcd-2' },
          phase: 'method',
          dueMs: 3000,
          firedMs: 3000,
          endedMs: 3100,
        },
      ],
      30,
    );
    expect(open).toEqual([{ label: 'pause etcd-2', fromS: 3, toS: 30 }]);
  });

  it('the HTML is self-contained: an inline SVG chart with the faults shaded and a verdict per SLO and invariant', () => {
    const html = renderHtml(sampleReport([sampleRun('baseline', [6])]));
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html.match(/class="fault"/g)).toHaveLength(4);
    expect(html.match(/class="series"/g)!.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('data-kind="slo"');
    expect(html.match(/data-verdict="fail"/g)).toHaveLength(2);
    expect(html).toContain('no-acknowledged-write-lost');
    expect(html).toContain('Hypothesis not held');
  });

  it('a compare run draws both runs on the same axes', () => {
    const html = renderHtml(sampleReport([sampleRun('baseline', []), sampleRun('lb.strategy=maglev', [6])]));
    expect(html).toContain('#1f6fd1');
    expect(html).toContain('#e07b00');
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).toContain('data-run="lb.strategy=maglev"');
  });

  it('writes report.json, report.md and report.html under <UTC time>-<name>', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gameday-report-'));
    const dir = await writeReport(
      root,
      sampleReport([sampleRun('baseline', [6])]),
      new Date('2026-01-02T03:04:05.678Z'),
    );
    expect(dir).toBe(join(root, '2026-01-02T03-04-05Z-api-node-kill'));
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { outcome: string };
    expect(json.outcome).toBe('not-held');
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('| SLO all | fail |');
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('<svg');
  });
});
