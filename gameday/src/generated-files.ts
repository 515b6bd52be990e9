import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The repository's formatter (a root dev dependency): the scripts come out as `pnpm lint` wants them.
import { format, resolveConfig } from 'prettier';
import { listExperiments, loadExperiment } from './experiment/load-experiment.js';
import { k6Script } from './k6/k6-script.js';
import { loadSloFile } from './slo/load-slos.js';
import { prometheusRules } from './slo/prometheus-rules.js';

/** The repository root, the same from src/ and dist/. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the generated files go, relative to the root. */
export const RULES_FILE = 'infra/prometheus/rules/slo.yml';
export const K6_DIR = 'tests/load';

/**
 * Every file generated from infra/slo/slos.yaml and gameday/experiments/ (path relative to the
 * root -> content): the Prometheus SLO rules and one k6 script per experiment.
 */
export async function generatedFiles(root = REPO_ROOT): Promise<Map<string, string>> {
  const slos = loadSloFile(join(root, 'infra/slo/slos.yaml'));
  const out = new Map<string, string>([[RULES_FILE, prometheusRules(slos)]]);
  const dir = join(root, 'gameday/experiments');
  for (const file of await listExperiments(dir)) {
    const { name, experiment } = await loadExperiment(dir, basename(file, extname(file)), slos);
    const path = `${K6_DIR}/${name}.js`;
    const options = { ...(await resolveConfig(join(root, path))), filepath: join(root, path) };
    out.set(path, await format(k6Script(name, experiment), options));
  }
  return out;
}
