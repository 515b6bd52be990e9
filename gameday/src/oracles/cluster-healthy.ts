import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { docker, project, waitReady } from '@sdl/compose';
import type { OracleResult } from './oracle.js';

const execFileAsync = promisify(execFile);

/** How many containers the compose project has (the evidence names the count checked). */
async function containerCount(): Promise<number> {
  const out = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
  return out.split('\n').filter((id) => id !== '').length;
}

/**
 * Why containers that are not running stopped: each one's exit code and the last lines it logged
 * (a crash's own error, which the summary quotes; nothing restarts an exited service container).
 */
async function postMortems(): Promise<string[]> {
  const out = await docker([
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    'status=exited',
    '--format',
    '{{.Names}}\t{{.Status}}',
  ]).catch(() => '');
  const exited = out.split('\n').filter((line) => line !== '');
  return Promise.all(
    exited.map(async (line) => {
      const [name = '', status = ''] = line.split('\t');
      const logs = await execFileAsync('docker', ['logs', '--tail', '12', name], { maxBuffer: 4 * 1024 * 1024 }).then(
        ({ stdout, stderr }) => `${stdout}${stderr}`.trim(),
        (err: unknown) => `(no logs: ${(err as Error).message})`,
      );
      return `${name} (${status}), its last log lines:\n${logs}`;
    }),
  );
}

// The line a post-mortem is quoted by: the last error (pino level 50/60: what the process died of,
// logged before its shutdown lines), else the last line; shortened.
function lastLine(postMortem: string): string {
  const lines = postMortem.split('\n');
  const line = lines.findLast((l) => /"level":(50|60)/.test(l)) ?? lines.at(-1) ?? '';
  return line.length > 400 ? `${line.slice(0, 400)}...` : line;
}

/**
 * cluster-healthy-after: within `withinS` of the rollbacks, every container of the compose project
 * runs and passes its own healthcheck, run on demand (`./lab ready` through @sdl/compose's
 * waitReady: Docker's own status lags a restart by up to HEALTH_INTERVAL, 300 s).
 */
export async function clusterHealthyAfter(withinS: number): Promise<OracleResult> {
  const started = Date.now();
  const containers = await containerCount();
  try {
    if (containers === 0) throw new Error('no container of the project exists');
    await waitReady([], withinS * 1000);
    const s = (Date.now() - started) / 1000;
    return {
      name: 'cluster-healthy-after',
      verdict: 'pass',
      summary: `all ${containers} containers ready ${s.toFixed(1)} s after the rollbacks (limit ${withinS} s)`,
      evidence: { containers, readyAfterS: s, withinS },
    };
  } catch (err) {
    // ./lab ready names the containers still not ready on its stderr.
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    const exited = await postMortems();
    return {
      name: 'cluster-healthy-after',
      verdict: 'fail',
      // One line (the reports' tables); the evidence keeps every exited container's log tail.
      summary:
        `not every container ready ${withinS} s after the rollbacks: ${detail.split('\n').at(-1)}` +
        exited.map((e) => `; ${e.split('\n')[0]} ${lastLine(e)}`).join(''),
      evidence: { containers, withinS, detail, exited },
    };
  }
}
