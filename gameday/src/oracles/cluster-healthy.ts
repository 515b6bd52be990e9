import { docker, project, waitReady } from '@sdl/compose';
import type { OracleResult } from './oracle.js';

/** How many containers the compose project has (the evidence names the count checked). */
async function containerCount(): Promise<number> {
  const out = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
  return out.split('\n').filter((id) => id !== '').length;
}

/**
 * cluster-healthy-after: within `withinS` of the rollbacks, every container of the compose project
 * runs and passes its own healthcheck, run on demand (`./lab ready` through @sdl/compose's
 * waitReady: Docker's own status lags a restart by up to HEALTH_INTERVAL, 60 s).
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
    return {
      name: 'cluster-healthy-after',
      verdict: 'fail',
      summary: `not every container ready ${withinS} s after the rollbacks: ${detail.split('\n').at(-1)}`,
      evidence: { containers, withinS, detail },
    };
  }
}
