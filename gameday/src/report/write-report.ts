import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';

/** Writes `DIR/<UTC time>-<name>/report.{json,md,html}`; returns the folder. */
export async function writeReport(reportsDir: string, report: Report, at = new Date()): Promise<string> {
  const stamp = at
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  const dir = join(reportsDir, `${stamp}-${report.name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, 'report.md'), renderMarkdown(report));
  await writeFile(join(dir, 'report.html'), renderHtml(report));
  return dir;
}
