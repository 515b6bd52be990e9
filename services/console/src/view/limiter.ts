import type { ClusterStatus, LimiterRule } from '../sources/cluster-status.js';
import { samples } from './node-health.js';

/** One rule's row: its settings in words and what it decided over the last minute (checks/s). */
export interface LimiterRuleView {
  readonly rule: string;
  /** `algorithm limit / window` (e.g. `gcra 20 / 1 s, burst 40`), or why it is not known. */
  readonly policy: string;
  readonly algorithm?: string;
  readonly limit?: number;
  readonly windowMs?: number;
  /** `enforce` decides; `shadow` counts and reports only; `unknown`: not in the rules now. */
  readonly mode: 'enforce' | 'shadow' | 'unknown';
  readonly modeLabel: string;
  readonly failMode?: 'open' | 'closed';
  /** `fail-open (default)`, `fail-closed (rule)`: what it does while the limiter's Redis fails. */
  readonly failModeLabel: string;
  /** Which requests it counts, and per what. */
  readonly scope: string;
  /** Admitted checks/s (allowed, and admitted by fail-open); for a shadow rule, what it would admit. */
  readonly admitted: number;
  /** Limited checks/s (denied, and refused by fail-closed); for a shadow rule, what it would limit. */
  readonly limited: number;
}

export interface LimiterView {
  readonly ok: boolean;
  readonly error?: string;
  /** Where the rules come from (`rules file` or `LIMITS`) and the run-time default fail mode. */
  readonly summary?: string;
  readonly rules: readonly LimiterRuleView[];
}

const ADMITTED = new Set(['allowed', 'failed_open', 'unlimited']);
const LIMITED = new Set(['denied', 'failed_closed']);

/** `500 ms`, `1 s`, `60 s`, `1 h`: a window as a person reads it. */
export function windowLabel(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 3_600_000 || ms % 3_600_000 !== 0) return `${ms / 1000} s`;
  return `${ms / 3_600_000} h`;
}

function decisions(status: ClusterStatus, query: string): Map<string, { admitted: number; limited: number }> {
  const byRule = new Map<string, { admitted: number; limited: number }>();
  for (const s of samples(status, query)) {
    const rule = s.labels.rule === '' || s.labels.rule === undefined ? '(no rule)' : s.labels.rule;
    const entry = byRule.get(rule) ?? { admitted: 0, limited: 0 };
    const result = s.labels.result ?? '';
    if (LIMITED.has(result)) entry.limited += s.value;
    else if (ADMITTED.has(result)) entry.admitted += s.value;
    byRule.set(rule, entry);
  }
  return byRule;
}

function ruleRow(rule: LimiterRule, counts: { admitted: number; limited: number } | undefined): LimiterRuleView {
  const match = Object.entries(rule.match).map(([k, v]) => `${k} ${v}`);
  const burst = rule.burst !== undefined && rule.burst !== rule.limit ? `, burst ${rule.burst}` : '';
  const cost = rule.cost === 1 ? '' : `, cost ${rule.cost}`;
  const concurrency = rule.algorithm === 'concurrency';
  return {
    rule: rule.name,
    policy: concurrency
      ? `concurrency ${rule.limit} in flight (lease ${windowLabel(rule.windowMs)})`
      : `${rule.algorithm} ${rule.limit} / ${windowLabel(rule.windowMs)}${burst}${cost}`,
    algorithm: rule.algorithm,
    limit: rule.limit,
    windowMs: rule.windowMs,
    mode: rule.shadow ? 'shadow' : 'enforce',
    modeLabel: rule.shadow ? 'SHADOW (counts, never limits)' : 'ENFORCE',
    failMode: rule.failMode,
    failModeLabel: `fail-${rule.failMode} (${rule.failModeFrom})`,
    scope: `${match.length === 0 ? 'every request' : match.join(', ')}; per ${rule.key.join('+')}`,
    admitted: counts?.admitted ?? 0,
    limited: counts?.limited ?? 0,
  };
}

/**
 * The rate-limiter panel: the rules in force (GET /admin/rules, evaluation order) with admitted vs
 * limited per rule from Prometheus (shadow rules from their shadow decisions), then any rule that
 * decided in the last minute but is not in the rules now (renamed or removed; `(no rule)`: unlimited).
 */
export function limiterView(status: ClusterStatus): LimiterView {
  const checks = decisions(status, 'limiterChecks');
  const shadow = decisions(status, 'limiterShadow');
  const known = status.limiterRules.ok ? status.limiterRules.value.rules : [];
  const rows = known.map((r) => ruleRow(r, (r.shadow ? shadow : checks).get(r.name)));
  const names = new Set(known.map((r) => r.name));
  const others = [...checks]
    .filter(([rule]) => !names.has(rule))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, counts]) => ({
      rule,
      policy: rule === '(no rule)' ? 'no rule matched: unlimited' : 'not in the rules now',
      mode: 'unknown' as const,
      modeLabel: '-',
      failModeLabel: '-',
      scope: '-',
      ...counts,
    }));
  if (!status.limiterRules.ok) return { ok: false, error: status.limiterRules.error, rules: others };
  const { source, failMode } = status.limiterRules.value;
  const from = source === 'file' ? 'the rules file' : 'LIMITS';
  return {
    ok: true,
    summary: `${known.length} rules from ${from}, first matching enforce rule decides; default fail mode: fail-${failMode}`,
    rules: [...rows, ...others],
  };
}
