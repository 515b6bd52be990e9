import { setTimeout as sleep } from 'node:timers/promises';
import { apiMetrics } from './api-metrics.js';
import type { OracleResult } from './oracle.js';
import { accountReadsIn } from './stampede-bounded.js';

/** The filters that let a read of a missing id reach the database (the api's `filter` label). */
const FILTERS = ['maybe', 'bypass', 'off'] as const;
type Filter = (typeof FILTERS)[number];

/**
 * The share of missing-id reads allowed to reach a database: 3x the compose default
 * BLOOM_FALSE_POSITIVE_RATE (0.01), loose for a noisy CI machine (a Redis timeout is a bypass).
 */
export const PENETRATION_MAX_FRACTION = 0.03;
/** Fewer missing-id reads than this judge nothing (the run did not send the operation). */
const MIN_MISSING = 50;

/** What the api nodes' /metrics said at one moment, summed over the running nodes. */
export interface PenetrationSnapshot {
  /** `api_bloom_missing_reads_total{entity="account"}` by its `filter` label. */
  readonly missingReads: Readonly<Record<Filter, number>>;
  /** `api_db_query_duration_seconds_count{op="account_get"}`: every database read of an account. */
  readonly accountReads: number;
  /** `api_bloom_filter_state` per node: 0 off, 1 rebuilding after a switch-on, 2 on. */
  readonly states: Readonly<Record<string, number>>;
}

/** The sums of one node's Prometheus text exposition. */
export function penetrationIn(exposition: string): Omit<PenetrationSnapshot, 'states'> & { state: number } {
  const missingReads: Record<Filter, number> = { maybe: 0, bypass: 0, off: 0 };
  let state = -1;
  for (const line of exposition.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    // With or without labels (the nodes add `service` and `node` to every series).
    if (/^api_bloom_filter_state[ {]/.test(line)) state = value;
    if (!line.startsWith('api_bloom_missing_reads_total{') || !line.includes('entity="account"')) continue;
    const filter = /filter="(\w+)"/.exec(line)?.[1] as Filter | undefined;
    if (filter !== undefined && filter in missingReads) missingReads[filter] += value;
  }
  return { missingReads, accountReads: accountReadsIn(exposition), state };
}

/** Every running api node's figures, read from its own /metrics. */
export async function penetrationSnapshot(): Promise<PenetrationSnapshot> {
  const missingReads: Record<Filter, number> = { maybe: 0, bypass: 0, off: 0 };
  const states: Record<string, number> = {};
  let accountReads = 0;
  for (const [node, text] of Object.entries(await apiMetrics())) {
    const one = penetrationIn(text);
    for (const f of FILTERS) missingReads[f] += one.missingReads[f];
    accountReads += one.accountReads;
    states[node] = one.state;
  }
  return { missingReads, accountReads, states };
}

/**
 * The snapshot the run is judged from, taken once no node is still rebuilding its filters after
 * a switch-on (state 1; at most `timeoutMs`, default 60 s): the run measures the filter in force.
 */
export async function penetrationBaseline(timeoutMs = 60_000): Promise<PenetrationSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await penetrationSnapshot();
    if (!Object.values(snapshot.states).includes(1) || Date.now() > deadline) return snapshot;
    await sleep(250);
  }
}

/**
 * penetration-bounded: of the reads of ids that do not exist (answered 404), at most `maxFraction`
 * reached a database: the api nodes' own count of database reads that found no account grew by
 * that much at most. With the Bloom filter on only its false positives (and bypasses: Redis slow or
 * its bits gone) get through; with it off every one does, and the oracle fails.
 */
export function penetrationBounded(
  before: PenetrationSnapshot,
  after: PenetrationSnapshot,
  missingAnswered: number,
  maxFraction = PENETRATION_MAX_FRACTION,
): OracleResult {
  const byFilter = Object.fromEntries(FILTERS.map((f) => [f, after.missingReads[f] - before.missingReads[f]]));
  const reached = FILTERS.reduce((sum, f) => sum + byFilter[f]!, 0);
  const fraction = missingAnswered > 0 ? reached / missingAnswered : 0;
  const judged = missingAnswered >= MIN_MISSING;
  const ok = judged && fraction <= maxFraction;
  const parts = FILTERS.filter((f) => byFilter[f]! > 0).map((f) => `${byFilter[f]} ${f}`);
  return {
    name: 'penetration-bounded',
    verdict: ok ? 'pass' : 'fail',
    summary: !judged
      ? `only ${missingAnswered} reads of missing ids answered 404 (at least ${MIN_MISSING} needed): nothing to judge`
      : `${reached} of ${missingAnswered} reads of missing ids reached a database (${(fraction * 100).toFixed(2)} %; bound ${(maxFraction * 100).toFixed(2)} %)${parts.length > 0 ? `: filter said ${parts.join(', ')}` : ''}`,
    evidence: {
      missingAnswered,
      reached,
      fraction: Number(fraction.toFixed(4)),
      maxFraction,
      byFilter,
      accountReads: after.accountReads - before.accountReads,
      statesBefore: before.states,
      statesAfter: after.states,
    },
  };
}
