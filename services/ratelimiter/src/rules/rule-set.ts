import { FailModeSchema } from '@sdl/config';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ALGORITHM_NAMES, type AlgorithmName } from '../algorithms/rate-limit-algorithm.js';
import type { FailMode, Limits } from '../config.js';

export const DESCRIPTOR_NAMES = ['client', 'route', 'address', 'plan'] as const;
export type DescriptorName = (typeof DESCRIPTOR_NAMES)[number];
export type Descriptors = { readonly client: string } & Partial<Record<Exclude<DescriptorName, 'client'>, string>>;

// A match value is exact, `*` (present, any value), or a prefix ending in `*`.
const MatchValue = Type.String({ minLength: 1, maxLength: 256 });

export const RuleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    match: Type.Optional(
      Type.Object(
        {
          client: Type.Optional(MatchValue),
          route: Type.Optional(MatchValue),
          address: Type.Optional(MatchValue),
          plan: Type.Optional(MatchValue),
        },
        { additionalProperties: false },
      ),
    ),
    /** Descriptors whose values name the counter (default `["client"]`): `["address"]` limits per address. */
    key: Type.Optional(
      Type.Array(Type.Union(DESCRIPTOR_NAMES.map((n) => Type.Literal(n))), { minItems: 1, uniqueItems: true }),
    ),
    /** `concurrency`: at most `limit` in flight, each lease reclaimed after `windowMs` if never released. */
    algorithm: Type.Union([...ALGORITHM_NAMES.map((n) => Type.Literal(n)), Type.Literal('concurrency')]),
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    windowMs: Type.Integer({ minimum: 1, maximum: 31_536_000_000 }),
    /** Bucket capacity for token-bucket and gcra (default `limit`). */
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    /** Multiplies the request's cost (default 1). */
    cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Count and report, never deny. */
    shadow: Type.Optional(Type.Boolean()),
    /** Overrides FAIL_MODE for this rule. */
    failMode: Type.Optional(FailModeSchema),
  },
  { additionalProperties: false },
);
export type RuleSpec = Static<typeof RuleSchema>;

export const RulesFileSchema = Type.Object(
  { rules: Type.Array(RuleSchema, { minItems: 1 }) },
  { additionalProperties: false },
);

export interface Rule {
  readonly name: string;
  readonly algorithm: AlgorithmName | 'concurrency';
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly cost: number;
  readonly shadow: boolean;
  readonly failMode: FailMode | undefined;
  readonly keyOn: readonly DescriptorName[];
  /** The rule's `match` as written (empty: every request). */
  readonly match: Readonly<Partial<Record<DescriptorName, string>>>;
  matches(d: Descriptors): boolean;
  /** The counter's name for these descriptors. */
  keyOf(d: Descriptors): string;
}

export interface RuleSet {
  readonly rules: readonly Rule[];
  /** The first matching enforcing rate rule (file order), every matching shadow rule and every concurrency rule. */
  match(d: Descriptors): { enforcing: Rule | undefined; shadows: Rule[]; concurrency: Rule[] };
}

/** A rules document that fails validation; `errors` lists every problem (JSON-pointer paths). */
export class RulesError extends Error {
  readonly code = 'RL_ERR_RULES_INVALID';
  constructor(readonly errors: readonly string[]) {
    super(`invalid rules: ${errors.join('; ')}`);
    this.name = 'RulesError';
  }
}

function matcher(pattern: string): (value: string | undefined) => boolean {
  if (pattern === '*') return (v) => v !== undefined;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (v) => v !== undefined && v.startsWith(prefix);
  }
  return (v) => v === pattern;
}

function compile(spec: RuleSpec): Rule {
  const tests = Object.entries(spec.match ?? {}).map(([name, pattern]) => {
    const test = matcher(pattern);
    return (d: Descriptors) => test(d[name as DescriptorName]);
  });
  const keyOn = spec.key ?? ['client'];
  return {
    name: spec.name,
    algorithm: spec.algorithm,
    limit: spec.limit,
    windowMs: spec.windowMs,
    burst: spec.burst ?? spec.limit,
    cost: spec.cost ?? 1,
    shadow: spec.shadow ?? false,
    failMode: spec.failMode,
    keyOn,
    match: { ...spec.match },
    matches: (d) => tests.every((t) => t(d)),
    keyOf: (d) => [spec.name, ...keyOn.map((n) => d[n] ?? '-')].join('|'),
  };
}

/** Validates a parsed rules document and lists every error found (schema and semantics), or compiles it. */
export function parseRules(doc: unknown): RuleSet {
  const errors = [...Value.Errors(RulesFileSchema, doc)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (errors.length === 0) {
    const rules = (doc as Static<typeof RulesFileSchema>).rules;
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.name)) errors.push(`/rules/${i}/name: duplicate rule name ${r.name}`);
      seen.add(r.name);
      if (r.algorithm === 'concurrency' && r.shadow === true)
        errors.push(`/rules/${i}/shadow: a concurrency rule cannot be a shadow`);
      if (r.burst !== undefined && r.algorithm !== 'token-bucket' && r.algorithm !== 'gcra') {
        errors.push(`/rules/${i}/burst: only token-bucket and gcra have a burst`);
      }
      for (const k of r.key ?? []) {
        if (k !== 'client' && r.match?.[k] === undefined)
          errors.push(`/rules/${i}/key: "${k}" must also be in match (e.g. "*")`);
      }
    });
  }
  if (errors.length > 0) throw new RulesError(errors);
  const rules = (doc as Static<typeof RulesFileSchema>).rules.map(compile);
  return {
    rules,
    match(d) {
      let enforcing: Rule | undefined;
      const shadows: Rule[] = [];
      const concurrency: Rule[] = [];
      for (const rule of rules) {
        if (!rule.matches(d)) continue;
        if (rule.algorithm === 'concurrency') concurrency.push(rule);
        else if (rule.shadow) shadows.push(rule);
        else enforcing ??= rule;
      }
      return { enforcing, shadows, concurrency };
    },
  };
}

/** The rules equivalent to the LIMITS env: one rule per client override, then a catch-all default. */
export function rulesFromLimits(limits: Limits, algorithm: AlgorithmName): RuleSet {
  const rules: RuleSpec[] = Object.entries(limits.clients).map(([client, l], i) => ({
    name: `client-${i}`,
    match: { client },
    algorithm,
    ...l,
  }));
  rules.push({ name: 'default', algorithm, ...limits.default });
  return parseRules({ rules });
}
