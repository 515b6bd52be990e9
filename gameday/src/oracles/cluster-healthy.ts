import { setTimeout as sleep } from 'node:timers/promises';
import { docker, project } from '@sdl/compose';
import type { OracleResult } from './oracle.js';

/** Every container of the project: name, state and health ('' when it has no health check). */
async function states(): Promise<Array<{ name: string; state: string; health: string }>> {
  const ids = (await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]))
    .split('\n')
    .filter((id) => id !== '');
  if (ids.length === 0) return [];
  const out = await docker([
    'inspect',
    '-f',
    '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
    ...ids,
  ]);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', state = '', health = ''] = line.trim().split(' ');
      return { name: name.replace(/^\//, ''), state, health };
    });
}

/**
 * cluster-healthy-after: within `withinS` of the rollbacks, every container of the compose project
 * runs and, where it has a health check, reports healthy (Docker's own health status).
 */
export async function clusterHealthyAfter(withinS: number): Promise<OracleResult> {
  const started = Date.now();
  let last: Awaited<ReturnType<typeof states>> = [];
  while (Date.now() - started <= withinS * 1000) {
    last = await states();
    const bad = last.filter((c) => c.state !== 'running' || (c.health !== '' && c.health !== 'healthy'));
    if (last.length > 0 && bad.length === 0) {
      const s = (Date.now() - started) / 1000;
      return {
        name: 'cluster-healthy-after',
        verdict: 'pass',
        summary: `all ${last.length} containers healthy ${s.toFixed(1)} s after the rollbacks (limit ${withinS} s)`,
        evidence: { containers: last.length, healthyAfterS: s, withinS },
      };
    }
    await sleep(1000);
  }
  const bad = last.filter((c) => c.state !== 'running' || (c.health !== '' && c.health !== 'healthy'));
  return {
    name: 'cluster-healthy-after',
    verdict: 'fail',
    summary:
      last.length === 0
        ? 'no container of the project exists'
        : `${bad.length} of ${last.length} containers not healthy ${withinS} s after the rollbacks: ${bad.map((c) => c.name).join(', ')}`,
    evidence: { withinS, unhealthy: bad },
  };
}
