import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { loadSloFile, resolveSlos } from '../slo/load-slos.js';
import type { SloFile } from '../slo/schema.js';
import { GamedayError, type ExperimentIssue } from './experiment-error.js';
import { issuesOf } from './schema-issues.js';
import { ExperimentSchema, sloSchemaFor, stepSchemaFor, type Experiment, type ExperimentFile } from './schema.js';

/** An experiment with the name of its file. */
export interface NamedExperiment {
  readonly name: string;
  readonly experiment: Experiment;
}

/**
 * Every problem of a parsed experiment, not only the first: schema errors with their path (a step
 * is checked against the schema its `action` picks, an SLO against the one its shape picks, so the
 * message names the field, not "no union member"), then rules across fields (offsets inside the
 * run, SLO names known to `slos`, the SLO file).
 */
export function validateExperiment(
  raw: unknown,
  slos?: SloFile,
): { experiment?: Experiment; issues: ExperimentIssue[] } {
  const value = Value.Default(ExperimentSchema, structuredClone(raw));
  const issues: ExperimentIssue[] = [];
  const seen = new Set<string>();
  for (const issue of issuesOf(ExperimentSchema, value, '')) {
    const step = /^\/(method|rollbacks)\/(\d+)$/.exec(issue.path);
    const slo = /^\/hypothesis\/slos\/(\d+)$/.exec(issue.path);
    if (step !== null) {
      const list = (value as Record<string, unknown[]>)[step[1]!];
      const item = list?.[Number(step[2])] as { action?: unknown } | undefined;
      const precise = issuesOf(stepSchemaFor(item?.action, step[1] === 'rollbacks'), item, issue.path);
      for (const p of precise.length > 0 ? precise : [issue]) add(p);
    } else if (slo !== null) {
      const item = (value as { hypothesis?: { slos?: unknown[] } }).hypothesis?.slos?.[Number(slo[1])];
      const precise = issuesOf(sloSchemaFor(item), item, issue.path);
      for (const p of precise.length > 0 ? precise : [issue]) add(p);
    } else add(issue);
  }
  function add(issue: ExperimentIssue): void {
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(issue);
  }
  if (issues.length > 0) return { issues };
  const file = value as ExperimentFile;
  const resolved = resolveSlos(file.hypothesis.slos, slos);
  resolved.issues.forEach(add);
  const experiment: Experiment = { ...file, hypothesis: { ...file.hypothesis, slos: resolved.slos } };
  experiment.method.forEach((step, i) => {
    if (step.at >= experiment.load.durationS) {
      add({ path: `/method/${i}/at`, message: `must be before the end of the load (${experiment.load.durationS} s)` });
    }
  });
  return issues.length > 0 ? { issues } : { experiment, issues };
}

/**
 * Reads and validates one file (YAML or JSON), its SLO names resolved from `slos` (default the
 * lab's infra/slo/slos.yaml); throws a GamedayError listing every issue.
 */
export async function loadExperimentFile(file: string, slos: SloFile = loadSloFile()): Promise<NamedExperiment> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new GamedayError('GAMEDAY_ERR_EXPERIMENT_NOT_FOUND', `no experiment file ${file}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({ path: '/', message: e.message.split('\n')[0] ?? e.code }));
    throw new GamedayError('GAMEDAY_ERR_EXPERIMENT_INVALID', `${file} is not valid YAML`, issues);
  }
  const { experiment, issues } = validateExperiment(doc.toJS(), slos);
  if (experiment === undefined) throw new GamedayError('GAMEDAY_ERR_EXPERIMENT_INVALID', `${file} is invalid`, issues);
  return { name: basename(file, extname(file)), experiment };
}

/** The experiment files of a folder (`NAME.yaml`, `NAME.yml`, `NAME.json`), by name. */
export async function listExperiments(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  return files.filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
}

/** The experiment NAME from a folder; throws GAMEDAY_ERR_EXPERIMENT_NOT_FOUND naming the ones there are. */
export async function loadExperiment(dir: string, name: string, slos?: SloFile): Promise<NamedExperiment> {
  const files = await listExperiments(dir);
  const file = files.find((f) => basename(f, extname(f)) === name);
  if (file === undefined) {
    const known = files.map((f) => basename(f, extname(f))).join(', ');
    throw new GamedayError('GAMEDAY_ERR_EXPERIMENT_NOT_FOUND', `no experiment '${name}' (there are: ${known})`);
  }
  return loadExperimentFile(join(dir, file), slos);
}
