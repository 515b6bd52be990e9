import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GamedayError } from '../src/experiment/experiment-error.js';
import { listExperiments, loadExperiment, loadExperimentFile } from '../src/experiment/load-experiment.js';
import { applyOverrides } from '../src/experiment/overrides.js';

const SHIPPED = fileURLToPath(new URL('../experiments/', import.meta.url));

async function refused(yaml: string): Promise<GamedayError> {
  const dir = await mkdtemp(join(tmpdir(), 'gameday-'));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, yaml);
  const err = await loadExperimentFile(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GamedayError);
  return err as GamedayError;
}

describe('experiment files', () => {
  it('every shipped experiment is valid and has a short form inside its run', async () => {
    const files = await listExperiments(SHIPPED);
    expect(files).toEqual(expect.arrayContaining(['api-node-kill.yaml', 'cache-redis-down.yaml']));
    for (const file of files) {
      const { name, experiment } = await loadExperiment(SHIPPED, file.replace(/\.yaml$/, ''));
      expect(experiment.short, name).toBeDefined();
      const short = applyOverrides(experiment, { short: true });
      for (const step of short.method) expect(step.at, name).toBeLessThan(short.load.durationS);
    }
  });

  it('refuses a bad file with every error listed, each with its path', async () => {
    const err = await refused(`
title: 3
extra: 1
hypothesis: { slos: [{ class: everything, successRatio: 2 }] }
load: { rate: { constant: -1 }, durationS: 0, mix: { nope: 1 } }
method:
  - { at: 5, action: explode, service: api-2 }
  - { at: 1, action: knob, knob: foo.bar, value: 1 }
  - { action: kill }
rollbacks:
  - { action: start }
`);
    expect(err.code).toBe('GAMEDAY_ERR_EXPERIMENT_INVALID');
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/extra',
        '/title',
        '/hypothesis/slos/0/class',
        '/hypothesis/slos/0/successRatio',
        '/load/rate',
        '/load/durationS',
        '/load/mix/nope',
        '/method/0/action',
        '/method/1/knob',
        '/method/2/at',
        '/method/2/service',
        '/rollbacks/0/service',
      ]),
    );
    expect(err.issues.find((i) => i.path === '/method/0/action')?.message).toContain('"kill"');
    expect(err.message).toContain('/load/mix/nope');
  });

  it('refuses a fault scheduled after the end of the load', async () => {
    const err = await refused(`
title: late
hypothesis: { slos: [{ class: all, successRatio: 0.99 }] }
load: { rate: { constant: 10 }, durationS: 10, mix: { account.read: 1 } }
method: [{ at: 10, action: kill, service: api-2 }]
`);
    expect(err.issues).toEqual([{ path: '/method/0/at', message: expect.stringContaining('before the end') }]);
  });

  it('refuses a file that is not YAML, and names the experiments there are for an unknown name', async () => {
    expect((await refused('title: [unclosed')).code).toBe('GAMEDAY_ERR_EXPERIMENT_INVALID');
    const err = (await loadExperiment(SHIPPED, 'no-such').catch((e: unknown) => e)) as GamedayError;
    expect(err.code).toBe('GAMEDAY_ERR_EXPERIMENT_NOT_FOUND');
    expect(err.message).toContain('api-node-kill');
  });

  it('the short form and --duration scale the timeline with the run', async () => {
    const { experiment } = await loadExperiment(SHIPPED, 'api-node-kill');
    const short = applyOverrides(experiment, { short: true });
    expect(short.load.durationS).toBe(experiment.short!.durationS);
    const ratio = experiment.short!.durationS / experiment.load.durationS;
    expect(short.method.map((s) => s.at)).toEqual(experiment.method.map((s) => s.at * ratio));
    expect(applyOverrides(experiment, { rate: 7 }).load.rate).toEqual({ constant: 7 });
  });
});
