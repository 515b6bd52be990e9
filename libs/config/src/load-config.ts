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

/** Checks that span several settings (two lists of equal length); returns what is wrong, if anything. */
export type ConfigCheck<C> = (config: C) => readonly ConfigIssue[];

/**
 * Reads the schema's properties from `env` (names by {@link envName}), applies defaults and
 * conversions, validates, then runs `check` (cross-field rules) on a valid config. Throws a
 * {@link ConfigError} naming every bad variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Env, check?: ConfigCheck<Static<T>>): Static<T> {
  const issues: ConfigIssue[] = [];
  const raw: Record<string, unknown> = {};
  for (const [prop, propSchema] of Object.entries(schema.properties)) {
    const value = env[envName(prop)];
    if (value === undefined || value === '') continue;
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
    issues.push({ key, message: env[key] === undefined ? `${error.message} (not set)` : error.message });
  }
  if (issues.length === 0 && check !== undefined) issues.push(...check(converted as Static<T>));
  if (issues.length > 0) throw new ConfigError(issues);
  return converted as Static<T>;
}
