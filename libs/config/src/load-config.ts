import { readFileSync } from 'node:fs';
import { Kind, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError, type ConfigIssue } from './config-error.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `gatewayPort` -> `GATEWAY_PORT`: every schema property is read from its UPPER_SNAKE variable. */
export function envName(property: string): string {
  return property.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

// Arrays come as comma lists and objects as JSON; scalars are left to Value.Convert.
function parseRaw(schema: TSchema, raw: string, key: string, issues: ConfigIssue[]): unknown {
  if (schema[Kind] === 'Array') {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  if (schema[Kind] === 'Object' || schema[Kind] === 'Record') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      issues.push({ key, message: 'must be valid JSON' });
      return undefined;
    }
  }
  return raw;
}

/**
 * A setting's raw value: `NAME`, or the content of the file `NAME_FILE` names (Compose and
 * Kubernetes secrets: the value never sits in the environment), one trailing newline dropped.
 * Setting both is an issue; so is a file that cannot be read. Values are never echoed.
 */
function rawValue(env: Env, key: string, issues: ConfigIssue[]): string | undefined {
  const direct = env[key];
  const file = env[`${key}_FILE`];
  if (file === undefined || file === '') return direct === '' ? undefined : direct;
  if (direct !== undefined && direct !== '') {
    issues.push({ key, message: `set ${key} or ${key}_FILE, not both` });
    return undefined;
  }
  try {
    const content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return content === '' ? undefined : content;
  } catch (err) {
    issues.push({ key: `${key}_FILE`, message: `cannot read ${file} (${(err as { code?: string }).code ?? 'error'})` });
    return undefined;
  }
}

/** Checks that span several settings (two lists of equal length); returns what is wrong, if anything. */
export type ConfigCheck<C> = (config: C) => readonly ConfigIssue[];

/**
 * Reads the schema's properties from `env` (names by {@link envName}, or the file `NAME_FILE`
 * names), applies defaults and conversions, validates, then runs `check` (cross-field rules) on a
 * valid config. Throws a {@link ConfigError} naming every bad variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Env, check?: ConfigCheck<Static<T>>): Static<T> {
  const issues: ConfigIssue[] = [];
  const raw: Record<string, unknown> = {};
  for (const [prop, propSchema] of Object.entries(schema.properties)) {
    const value = rawValue(env, envName(prop), issues);
    if (value === undefined) continue;
    const parsed = parseRaw(propSchema, value, envName(prop), issues);
    if (parsed !== undefined) raw[prop] = parsed;
  }
  const converted = Value.Convert(schema, Value.Default(schema, raw));
  const seen = new Set<string>(issues.map((i) => i.key));
  for (const error of Value.Errors(schema, converted)) {
    const prop = error.path.split('/')[1] ?? '';
    const key = prop === '' ? '(root)' : envName(prop);
    if (seen.has(key)) continue;
    seen.add(key);
    // Values are never echoed: a bad variable may hold a secret.
    const unset = env[key] === undefined && env[`${key}_FILE`] === undefined;
    issues.push({ key, message: unset ? `${error.message} (not set)` : error.message });
  }
  if (issues.length === 0 && check !== undefined) issues.push(...check(converted as Static<T>));
  if (issues.length > 0) throw new ConfigError(issues);
  return converted as Static<T>;
}
