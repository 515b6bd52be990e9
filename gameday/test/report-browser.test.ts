import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/write-report.js';
import { sampleReport, sampleRun } from './support/sample-report.js';

// Debian's chromium (`./lab setup` installs it); no browser is downloaded.
const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();

describe('report.html in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens from the file system with no network and renders the chart and the verdicts', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gameday-browser-'));
    const dir = await writeReport(
      root,
      sampleReport([sampleRun('baseline', [6, 7]), sampleRun('lb.strategy=maglev', [])]),
    );
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    const chart = page.getByTestId('chart');
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(500);
    expect(box?.height).toBeGreaterThan(300);
    // The polylines were laid out: each has a non-empty drawn box.
    const drawn = await page.$$eval(
      'svg polyline.series',
      (lines) =>
        // Runs in the page: the element is an SVGGraphicsElement there (no DOM types in this project).
        lines.filter((l) => (l as unknown as { getBBox(): { width: number } }).getBBox().width > 0).length,
    );
    expect(drawn).toBeGreaterThanOrEqual(12);
    expect(await page.locator('rect.fault').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('outcome').innerText()).toBe('Hypothesis not held');
    const verdicts = await page.locator('table.verdicts [data-verdict]').allInnerTexts();
    expect(verdicts).toEqual(['FAIL', 'FAIL', 'PASS', 'PASS', 'PASS', 'PASS']);
    expect(await page.locator('table.verdicts').first().isVisible()).toBe(true);
    await context.close();
  });
});
