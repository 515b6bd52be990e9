import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { GamedayError, type ExperimentIssue } from '../experiment/experiment-error.js';
import { issuesOf } from '../experiment/schema-issues.js';
import type { ExperimentFile, Slo } from '../experiment/schema.js';
import { LATENCY_BUCKETS_MS, SloFileSchema, type SloFile } from './schema.js';

/** The lab's SLO file (infra/slo/slos.yaml), the same path from src/ and dist/. */
export const SLO_FILE = fileURLToPath(new URL('../../../infra/slo/slos.yaml', import.meta.url));

/** Every problem of a parsed SLO file: schema errors, then duplicate names and latencies no bucket can count. */
export function validateSloFile(raw: unknown): { slos?: SloFile; issues: ExperimentIssue[] } {
  const issues = issuesOf(SloFileSchema, raw, '');
  if (issues.length > 0) return { issues };
  const file = raw as SloFile;
  const seen = new Set<string>();
  file.slos.forEach((slo, i) => {
    if (seen.has(slo.name)) issues.push({ path: `/slos/${i}/name`, message: `'${slo.name}' is defined twice` });
    seen.add(slo.name);
    const p99Ms = slo.latency?.p99Ms;
    if (p99Ms !== undefined && !(LATENCY_BUCKETS_MS as readonly number[]).includes(p99Ms)) {
      const bounds = LATENCY_BUCKETS_MS.join(', ');
      issues.push({ path: `/slos/${i}/latency/p99Ms`, message: `must be a histogram bucket bound (${bounds} ms)` });
    }
  });
  return issues.length > 0 ? { issues } : { slos: file, issues };
}

/** Reads and validates the SLO file; throws GAMEDAY_ERR_SLO_INVALID listing every issue. */
export function loadSloFile(file = SLO_FILE): SloFile {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GamedayError('GAMEDAY_ERR_SLO_INVALID', `cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const { slos, issues } = validateSloFile(Value.Clone(raw));
  if (slos === undefined) throw new GamedayError('GAMEDAY_ERR_SLO_INVALID', `${file} is invalid`, issues);
  return slos;
}

/**
 * `hypothesis.slos` as objectives: a name takes the standing SLO's availability and p99, a
 * `{ slo, ... }` reference overrides the fields it gives, an explicit objective stays as written.
 */
export function resolveSlos(
  entries: ExperimentFile['hypothesis']['slos'],
  file: SloFile | undefined,
): { slos: Slo[]; issues: ExperimentIssue[] } {
  const issues: ExperimentIssue[] = [];
  const slos: Slo[] = [];
  entries.forEach((entry, i) => {
    if (typeof entry !== 'string' && !('slo' in entry)) return void slos.push(entry);
    const ref = typeof entry === 'string' ? { slo: entry } : entry;
    const standing = file?.slos.find((s) => s.name === ref.slo);
    if (standing === undefined) {
      const known = file === undefined ? 'no SLO file given' : `there are: ${file.slos.map((s) => s.name).join(', ')}`;
      return void issues.push({ path: `/hypothesis/slos/${i}`, message: `no standing SLO '${ref.slo}' (${known})` });
    }
    const p99Ms = ref.p99Ms ?? standing.latency?.p99Ms;
    slos.push({
      name: standing.name,
      class: standing.class,
      successRatio: ref.successRatio ?? standing.availability,
      ...(p99Ms === undefined ? {} : { p99Ms }),
    });
  });
  return { slos, issues };
}
