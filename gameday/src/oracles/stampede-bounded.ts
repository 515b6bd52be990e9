import { apiMetrics, metricIn } from './api-metrics.js';
import type { OracleResult } from './oracle.js';

/** Sum of `api_db_query_duration_seconds_count{op="account_get"}` in one Prometheus text exposition. */
export function accountReadsIn(exposition: string): number {
  return metricIn(exposition, 'api_db_query_duration_seconds_count', ['op="account_get"']);
}

/** Database reads of accounts so far, summed over the running api nodes (each node's own /metrics). */
export async function accountReads(): Promise<{ reads: number; nodes: number }> {
  const texts = Object.values(await apiMetrics());
  return { reads: texts.reduce((sum, text) => sum + accountReadsIn(text), 0), nodes: texts.length };
}

/**
 * stampede-bounded: the hot key's cache entry was dropped `flushes` times under load, yet the
 * database read accounts at most once per api node per flush (single-flight on each node; the
 * cluster-wide fill lease usually makes it one in all), plus one fill at the start. The reads are
 * the delta of every node's account-read counter over the run (the mix must read only the hot key).
 */
export function stampedeBounded(before: number, after: number, nodes: number, flushes: number): OracleResult {
  const reads = after - before;
  const bound = (flushes + 1) * nodes;
  const ok = flushes > 0 && reads <= bound;
  const perFlush = flushes > 0 ? (reads / flushes).toFixed(2) : '-';
  return {
    name: 'stampede-bounded',
    verdict: ok ? 'pass' : 'fail',
    summary:
      flushes === 0
        ? 'no cache.flush step fired: nothing to judge'
        : `${reads} database reads of accounts for ${flushes} cache flushes (${perFlush} per flush; bound ${bound}: one per node per flush, plus the first fill)`,
    evidence: { reads, flushes, nodes, bound },
  };
}
