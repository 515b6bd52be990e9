import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const experiments = readdirSync(join(root, 'gameday/experiments'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => file.replace(/\.yaml$/, ''))
  .sort();
const reports = mkdtempSync(join(tmpdir(), 'sdl-gameday-'));

/** `gameday NAME --short`: its exit code (0 held, 1 not held, 2 could not run) and its output. */
function gameday(name: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [join(root, 'gameday/dist/cli.js'), name, '--short', '--reports', reports],
      { cwd: root, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

// Every shipped experiment (gameday/experiments/*.yaml, so a new one is run too), in its short
// form, against the compose cluster: its hypothesis must hold. The verdicts and the reasons are in
// the output; the reports go to a temp dir.
describe('game days (short forms)', () => {
  it('ships experiments', () => {
    expect(experiments.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of experiments) {
    it(`${name}: the hypothesis holds`, { timeout: 330_000 }, async () => {
      const { code, out } = await gameday(name);
      const verdicts = out
        .split('\n')
        .filter((line) => /^\s+(PASS|FAIL|N\/A|NOT RUN)\b/.test(line))
        .join('\n');
      console.log(`${name}:\n${verdicts}`);
      expect(code, out.split('\n').slice(-40).join('\n')).toBe(0);
    });
  }
});
