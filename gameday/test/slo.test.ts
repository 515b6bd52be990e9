import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GamedayError } from '../src/experiment/experiment-error.js';
import { validateExperiment } from '../src/experiment/load-experiment.js';
import { loadSloFile, validateSloFile } from '../src/slo/load-slos.js';

const fileWith = (slos: unknown) => ({
  title: 'refs',
  hypothesis: { slos },
  load: { rate: { constant: 10 }, durationS: 10, mix: { 'account.read': 1 } },
});

describe('the SLO file (infra/slo/slos.yaml)', () => {
  it('is valid and defines availability and latency for every route class', () => {
    const file = loadSloFile();
    expect(file.slos.map((s) => s.class).sort()).toEqual(['all', 'read', 'write']);
    for (const slo of file.slos) expect(slo.latency?.p99Ms, slo.name).toBeGreaterThan(0);
  });

  it('refuses a bad file with every error listed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slo-'));
    await writeFile(join(dir, 'bad.yaml'), 'windowDays: 0\nslos: [{ name: Read, class: reads, availability: 1 }]\n');
    const err = (() => {
      try {
        return loadSloFile(join(dir, 'bad.yaml'));
      } catch (e) {
        return e;
      }
    })() as GamedayError;
    expect(err).toBeInstanceOf(GamedayError);
    expect(err.code).toBe('GAMEDAY_ERR_SLO_INVALID');
    expect(err.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['/windowDays', '/slos/0/name', '/slos/0/class', '/slos/0/availability']),
    );
  });

  it('refuses a duplicate name and a latency no histogram bucket can count', () => {
    const slo = { name: 'read', class: 'read', availability: 0.99, latency: { p99Ms: 300 } };
    const { issues } = validateSloFile({ windowDays: 30, slos: [slo, { ...slo, latency: { p99Ms: 500 } }] });
    expect(issues).toEqual([
      { path: '/slos/0/latency/p99Ms', message: expect.stringContaining('bucket') },
      { path: '/slos/1/name', message: expect.stringContaining('twice') },
    ]);
  });
});

describe('hypothesis.slos naming standing SLOs', () => {
  const slos = loadSloFile();
  const read = slos.slos.find((s) => s.name === 'read')!;

  it('resolves a name to its objectives, applies overrides, keeps explicit objectives', () => {
    const entries = ['read', { slo: 'all', successRatio: 1 }, { class: 'write', successRatio: 0.5 }];
    const { experiment, issues } = validateExperiment(fileWith(entries), slos);
    expect(issues).toEqual([]);
    expect(experiment!.hypothesis.slos).toEqual([
      { name: 'read', class: 'read', successRatio: read.availability, p99Ms: read.latency!.p99Ms },
      expect.objectContaining({ name: 'all', class: 'all', successRatio: 1 }),
      { class: 'write', successRatio: 0.5 },
    ]);
  });

  it('refuses an unknown name (listing the known ones) and a bad override, each with its path', () => {
    const { issues } = validateExperiment(fileWith(['nope', { slo: 'read', successRatio: 2 }]), slos);
    expect(issues).toEqual([{ path: '/hypothesis/slos/1/successRatio', message: expect.any(String) }]);
    const unknown = validateExperiment(fileWith(['nope']), slos).issues;
    expect(unknown).toEqual([{ path: '/hypothesis/slos/0', message: expect.stringContaining('there are: all') }]);
  });
});
