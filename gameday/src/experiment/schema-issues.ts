import { Value, type ValueError } from '@sinclair/typebox/value';
import type { ExperimentIssue } from './experiment-error.js';

/** A union's "Expected union value" says nothing: name the choices instead. */
function messageOf(error: ValueError): string {
  const anyOf = (error.schema as { anyOf?: Array<{ const?: unknown; description?: string }> }).anyOf;
  if (anyOf === undefined) return error.message;
  const choices = anyOf.map((s) => (s.const !== undefined ? JSON.stringify(s.const) : `{ ${s.description ?? '...'} }`));
  return `must be one of ${choices.join(', ')}`;
}

/** Every schema error of `value` as an issue (a JSON pointer under `prefix`, a message naming union choices). */
export function issuesOf(
  schema: Parameters<typeof Value.Errors>[0],
  value: unknown,
  prefix: string,
): ExperimentIssue[] {
  return [...Value.Errors(schema, value)].map((e) => ({ path: `${prefix}${e.path}` || '/', message: messageOf(e) }));
}
