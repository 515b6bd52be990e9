import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/load-experiment.js';
import { K6_DIR, REPO_ROOT, RULES_FILE, generatedFiles } from '../src/generated-files.js';
import { scenarioOf, thresholdsOf } from '../src/k6/k6-script.js';

const generated = await generatedFiles();

/** promtool from Debian's prometheus package (`./lab setup` installs it); its exit status and output. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  if (run.error !== undefined) throw new Error(`promtool not found (./lab setup installs Debian's prometheus)`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('files generated from infra/slo/slos.yaml and the experiments', () => {
  it('are committed as the generator writes them (run `node gameday/dist/generate-files.js`)', () => {
    for (const [path, content] of generated) {
      expect(existsSync(join(REPO_ROOT, path)), `${path} exists`).toBe(true);
      expect(readFileSync(join(REPO_ROOT, path), 'utf8'), path).toBe(content);
    }
    const scripts = readdirSync(join(REPO_ROOT, K6_DIR)).filter((f) => f.endsWith('.js'));
    expect(scripts.map((f) => `${K6_DIR}/${f}`).sort()).toEqual([...generated.keys()].filter((p) => p !== RULES_FILE));
  });

  it('k6 scripts parse (node --check, ES module syntax) and carry the hypothesis as thresholds', async () => {
    const scripts = [...generated.keys()].filter((p) => p.endsWith('.js'));
    for (const path of [...scripts, `${K6_DIR}/lib/workload.js`]) {
      execFileSync(process.execPath, ['--check', join(REPO_ROOT, path)]);
    }
    const { experiment } = await loadExperiment(join(REPO_ROOT, 'gameday/experiments'), 'api-node-kill');
    expect(thresholdsOf(experiment)).toEqual({
      'http_req_failed{scenario:gameday}': ['rate<=0.001'],
      'http_req_failed{class:read}': ['rate<=0'],
    });
    expect(generated.get(`${K6_DIR}/api-node-kill.js`)).toContain("executor: 'constant-arrival-rate'");
    const ramp = { ...experiment, load: { ...experiment.load, rate: { from: 10, to: 200 } } };
    expect(scenarioOf(ramp)).toMatchObject({
      executor: 'ramping-arrival-rate',
      startRate: 10,
      stages: [{ target: 200, duration: `${experiment.load.durationS}s` }],
    });
  });

  it('the SLO rules and the Prometheus config pass promtool', () => {
    const rules = promtool('check', 'rules', RULES_FILE);
    expect(rules.output).toContain('SUCCESS');
    expect(rules.status, rules.output).toBe(0);
    const config = promtool('check', 'config', 'infra/prometheus/prometheus.yml');
    expect(config.output).toContain(RULES_FILE.split('/').at(-1));
    expect(config.status, config.output).toBe(0);
  });

  it('the burn-rate alerts fire on a fast burn and stay quiet without errors (promtool test rules)', () => {
    const run = promtool('test', 'rules', 'gameday/test/fixtures/slo-rules.promtool.yml');
    expect(run.status, run.output).toBe(0);
  });

  it('every slo: series a Grafana dashboard names is one the rules record', () => {
    const recorded = new Set([...generated.get(RULES_FILE)!.matchAll(/record: (\S+)/g)].map((m) => m[1]));
    const dir = join(REPO_ROOT, 'infra/grafana/dashboards');
    const named = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\bslo:[a-z0-9_:]+/g)].map((m) => m[0]));
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(recorded.has(name), name).toBe(true);
  });

  it('promtool fails on a broken rules file (so the check above can fail)', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'rules-')), 'broken.yml');
    await writeFile(file, 'groups:\n  - name: x\n    rules:\n      - record: not a metric name\n        expr: sum(\n');
    const broken = promtool('check', 'rules', file);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/FAILED|error/i);
  });
});
