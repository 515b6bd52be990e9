import { apiMetrics, metricIn } from './api-metrics.js';
import type { OracleResult } from './oracle.js';

/**
 * The least share of account lookups the api nodes' L1s must answer. Loose: the default policy
 * (lru) answers about 0.3 of Zipf reads over 200 accounts with 10 entries, lfu about 0.4 (see
 * l1-policy-redis-down.yaml); an L1 that is off or not filled while Redis is down answers none.
 */
export const MIN_L1_HIT_RATIO = 0.15;

/** One api node's account figures from its own /metrics (counters since its start). */
export interface L1Counts {
  readonly hits: number;
  readonly misses: number;
  /** Database reads of an account: `api_db_query_duration_seconds_count{op="account_get"|"account_get_replica"}`. */
  readonly dbReads: number;
  /** `api_cache_l1_policy_info{policy}` (the one at 1); '' when absent. */
  readonly policy: string;
  /** `api_cache_l1_max_entries`: entries per entity in force (0: no L1). */
  readonly maxEntries: number;
}

/** The figures of one exposition. */
export function l1CountsIn(exposition: string): L1Counts {
  const l1 = (result: string) =>
    metricIn(exposition, 'api_cache_l1_requests_total', ['entity="account"', `result="${result}"`]);
  const policy = /^api_cache_l1_policy_info\{(?:[^}]*,)?policy="(\w+)"[^}]*\} 1$/m.exec(exposition)?.[1] ?? '';
  const maxEntries = /^api_cache_l1_max_entries(?:\{[^}]*\})? (\d+)$/m.exec(exposition)?.[1];
  return {
    hits: l1('hit'),
    misses: l1('miss'),
    dbReads:
      metricIn(exposition, 'api_db_query_duration_seconds_count', ['op="account_get"']) +
      metricIn(exposition, 'api_db_query_duration_seconds_count', ['op="account_get_replica"']),
    policy,
    maxEntries: Number(maxEntries ?? 0),
  };
}

/** Per running api node, its figures now. */
export async function l1Counts(): Promise<Record<string, L1Counts>> {
  const counts: Record<string, L1Counts> = {};
  for (const [node, text] of Object.entries(await apiMetrics())) counts[node] = l1CountsIn(text);
  return counts;
}

const ZERO: L1Counts = { hits: 0, misses: 0, dbReads: 0, policy: '', maxEntries: 0 };
const ratio = (part: number, whole: number): number => (whole > 0 ? Number((part / whole).toFixed(3)) : 0);

/**
 * l1-absorbed-reads: over the run (figures before the load and after it), the api nodes' L1s
 * answered at least `minRatio` of the account lookups, the rest going to Redis or (Redis down)
 * the database. A node restarted meanwhile counts from 0. The evidence has the hit ratio and
 * the database reads per lookup per node and the policy each node ran, so `--compare
 * api.cacheL1Policy=...` puts the policies' figures side by side.
 */
export function l1AbsorbedReads(
  before: Readonly<Record<string, L1Counts>>,
  after: Readonly<Record<string, L1Counts>>,
  /** A sample taken while the load ran: the policy and size in force (the rollbacks reset them before `after`). */
  during: Readonly<Record<string, L1Counts>> = after,
  minRatio = MIN_L1_HIT_RATIO,
): OracleResult {
  const nodes: Record<string, { hits: number; lookups: number; hitRatio: number; dbReads: number; policy: string }> =
    {};
  let hits = 0;
  let lookups = 0;
  let dbReads = 0;
  for (const [node, now] of Object.entries(after)) {
    const then = before[node] ?? ZERO;
    // A counter that went down: the node restarted during the run; its counters start at 0.
    const from = now.hits + now.misses < then.hits + then.misses || now.dbReads < then.dbReads ? ZERO : then;
    const h = now.hits - from.hits;
    const l = h + now.misses - from.misses;
    const d = now.dbReads - from.dbReads;
    nodes[node] = { hits: h, lookups: l, hitRatio: ratio(h, l), dbReads: d, policy: (during[node] ?? now).policy };
    hits += h;
    lookups += l;
    dbReads += d;
  }
  const policies = [...new Set(Object.values(during).map((c) => c.policy))].join(',') || 'unknown';
  const maxEntries = [...new Set(Object.values(during).map((c) => c.maxEntries))].join(',');
  const hitRatio = ratio(hits, lookups);
  const evidence = { policy: policies, maxEntries, hitRatio, hits, lookups, dbReads, minRatio, nodes };
  const dbPerLookup = ratio(dbReads, lookups);
  const ok = lookups > 0 && hitRatio >= minRatio;
  return {
    name: 'l1-absorbed-reads',
    verdict: ok ? 'pass' : 'fail',
    summary:
      lookups === 0
        ? 'no L1 lookup of an account during the run: the L1 was off (api.cacheL1Entries) or nothing read accounts'
        : `L1 (${policies}, ${maxEntries} entries) hit ratio ${hitRatio} (${hits} of ${lookups} account lookups; least ${minRatio}); ${dbReads} database reads of accounts (${dbPerLookup} per lookup)`,
    evidence: { ...evidence, dbPerLookup },
  };
}
