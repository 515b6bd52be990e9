import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { GamedayError, type ExperimentIssue } from './experiment-error.js';
import { ExperimentSchema, stepSchemaFor, type Experiment } from './schema.js';

/** An experiment with the name of its file. */
export interface NamedExperiment {
  readonly name: string;
  readonly experiment: Experiment;
}

/** A union's "Expected union value" says nothing: name the choices instead. */
function messageOf(error: ValueError): string {
  const anyOf = (error.schema as { anyOf?: Array<{ const?: unknown; description?: string }> }).anyOf;
  if (anyOf === undefined) return error.message;
  const choices = anyOf.map((s) => (s.const !== undefined ? JSON.stringify(s.const) : `{ ${s.description ?? '...'} }`));
  return `must be one of ${choices.join(', ')}`;
}

function issuesOf(schema: Parameters<typeof Value.Errors>[0], value: unknown, prefix: string): ExperimentIssue[] {
  return [...Value.Errors(schema, value)].map((e) => ({ path: `${prefix}${e.path}` || '/', message: messageOf(e) }));
}

/**
 * Every problem of a parsed experiment, not only the first: schema errors with their path (a step
 * is checked against the schema its `action` picks, so the message names the field, not "no union
 * member"), then rules across fields (offsets inside the run).
 */
export function validateExperiment(raw: unknown): { experiment?: Experiment; issues: ExperimentIssue[] } {
  const value = Value.Default(ExperimentSchema, structuredClone(raw));
  const issues: ExperimentIssue[] = [];
  const seen = new Set<string>();
  for (const issue of issuesOf(ExperimentSchema, value, '')) {
    const step = /^\/(method|rollbacks)\/(\d+)$/.exec(issue.path);
    if (step !== null) {
      const list = (value as Record<string, unknown[]>)[step[1]!];
      const item = list?.[Number(step[2])] as { action?: unknown } | undefined;
      const precise = issuesOf(stepSchemaFor(item?.action, step[1] === 'rollbacks'), item, issue.path);
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
  const experiment = value as Experiment;
  experiment.method.forEach((step, i) => {
    if (step.at >= experiment.load.durationS) {
      add({ path: `/method/${i}/at`, message: `must be before the end of the load (${experiment.load.durationS} s)` });
    }
  });
  return issues.length > 0 ? { issues } : { experiment, issues };
}

/** Reads and validates one file (YAML or JSON); throws a GamedayError listing every issue. */
export async function loadExperimentFile(file: string): Promise<NamedExperiment> {
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
  const { experiment, issues } = validateExperiment(doc.toJS());
  if (experiment === undefined) throw new GamedayError('GAMEDAY_ERR_EXPERIMENT_INVALID', `${file} is invalid`, issues);
  return { name: basename(file, extname(file)), experiment };
}

/** The experiment files of a folder (`NAME.yaml`, `NAME.yml`, `NAME.json`), by name. */
export async function listExperiments(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  return files.filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
}

/** The experiment NAME from a folder; throws GAMEDAY_ERR_EXPERIMENT_NOT_FOUND naming the ones there are. */
export async function loadExperiment(dir: string, name: string): Promise<NamedExperiment> {
  const files = await listExperiments(dir);
  const file = files.find((f) => basename(f, extname(f)) === name);
  if (file === undefined) {
    const known = files.map((f) => basename(f, extname(f))).join(', ');
    throw new GamedayError('GAMEDAY_ERR_EXPERIMENT_NOT_FOUND', `no experiment '${name}' (there are: ${known})`);
  }
  return loadExperimentFile(join(dir, file));
}
