import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { docker, project, waitReady } from '@sdl/compose';
import type { OracleResult } from './oracle.js';

const execFileAsync = promisify(execFile);

/** The compose project's containers (the evidence names the count checked). */
async function containerIds(): Promise<string[]> {
  const out = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
  return out.split('\n').filter((id) => id !== '');
}

/**
 * How many times Docker restarted each container after a crash (its restart policy: only kafka has
 * one) since it was last started by hand (`docker start` resets the count), by container name.
 */
export async function crashRestartCounts(ids?: readonly string[]): Promise<Map<string, number>> {
  ids ??= await containerIds();
  const counts = new Map<string, number>();
  if (ids.length === 0) return counts;
  const out = await docker(['inspect', '--format', '{{.Name}} {{.RestartCount}}', ...ids]).catch(() => '');
  for (const line of out.split('\n')) {
    const [name = '', count = '0'] = line.trim().replace(/^\//, '').split(' ');
    if (name !== '') counts.set(name, Number(count));
  }
  return counts;
}

/**
 * Why containers that are not running stopped: each one's exit code and the last lines it logged
 * (a crash's own error, which the summary quotes; only kafka has a restart policy, for crashes).
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
 * waitReady: Docker's own status lags a restart by up to its interval, about 5 minutes).
 */
export async function clusterHealthyAfter(
  withinS: number,
  restartsBefore: ReadonlyMap<string, number> = new Map(),
): Promise<OracleResult> {
  const started = Date.now();
  const ids = await containerIds();
  const containers = ids.length;
  try {
    if (containers === 0) throw new Error('no container of the project exists');
    await waitReady([], withinS * 1000);
    const s = (Date.now() - started) / 1000;
    // The cluster healed, but what crashed during the run is said.
    const restarted = [...(await crashRestartCounts(ids))]
      .filter(([name, count]) => count > (restartsBefore.get(name) ?? 0))
      .map(([name, count]) => `${name} x${count - (restartsBefore.get(name) ?? 0)}`);
    return {
      name: 'cluster-healthy-after',
      verdict: 'pass',
      summary:
        `all ${containers} containers ready ${s.toFixed(1)} s after the rollbacks (limit ${withinS} s)` +
        (restarted.length === 0 ? '' : `; restarted by Docker after a crash during the run: ${restarted.join(', ')}`),
      evidence: { containers, readyAfterS: s, withinS, restarted },
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
