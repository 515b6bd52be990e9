import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/generated-files.js';

/** `./lab load ...` with the image set forced (LAB_OFFLINE); never reaches the cluster in these cases. */
function lab(offline: boolean, ...args: string[]) {
  const run = spawnSync('./lab', ['load', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, LAB_OFFLINE: offline ? '1' : '0' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('./lab load NAME --k6', () => {
  it('offline: says plainly why k6 cannot run and what to do instead, and exits 2', () => {
    const run = lab(true, 'api-node-kill', '--k6');
    expect(run.status).toBe(2);
    expect(run.output).toContain('offline');
    expect(run.output).toContain('k6 run -e BASE_URL=');
    expect(run.output).toContain('./lab gameday api-node-kill');
  });

  it('refuses an unknown script or a missing --k6 with the names there are (exit 2)', () => {
    const unknown = lab(false, 'no-such', '--k6');
    expect(unknown.status).toBe(2);
    expect(unknown.output).toContain('cache-redis-down');
    expect(lab(false, 'api-node-kill').status).toBe(2);
  });
});
