import { describe, expect, it } from 'vitest';
import { l1AbsorbedReads, l1CountsIn, MIN_L1_HIT_RATIO, type L1Counts } from '../src/oracles/l1-absorbed-reads.js';
import { zipfRank } from '../src/load/workload.js';

const exposition = (node: string, hits: number, misses: number, dbReads: number, policy = 'lfu') =>
  [
    '# HELP api_cache_l1_requests_total In-process L1 lookups',
    `api_cache_l1_requests_total{entity="account",result="hit",service="api",node="${node}"} ${hits}`,
    `api_cache_l1_requests_total{entity="account",result="miss",service="api",node="${node}"} ${misses}`,
    `api_cache_l1_requests_total{entity="post",result="hit",service="api",node="${node}"} 999`,
    `api_db_query_duration_seconds_count{shard="0",op="account_get",service="api",node="${node}"} ${dbReads}`,
    `api_db_query_duration_seconds_count{shard="1",op="account_get_replica",service="api",node="${node}"} 1`,
    `api_db_query_duration_seconds_count{shard="0",op="post_get",service="api",node="${node}"} 500`,
    `api_cache_l1_policy_info{policy="${policy}",service="api",node="${node}"} 1`,
    `api_cache_l1_max_entries{service="api",node="${node}"} 10`,
  ].join('\n');

const counts = (hits: number, misses: number, dbReads: number, policy = 'lfu'): L1Counts => ({
  hits,
  misses,
  dbReads,
  policy,
  maxEntries: 10,
});

describe('l1-absorbed-reads', () => {
  it("reads an api node's account L1 lookups, database reads of accounts, policy and size", () => {
    expect(l1CountsIn(exposition('api-1', 40, 60, 55))).toEqual({
      hits: 40,
      misses: 60,
      dbReads: 56,
      policy: 'lfu',
      maxEntries: 10,
    });
    expect(l1CountsIn('')).toEqual({ hits: 0, misses: 0, dbReads: 0, policy: '', maxEntries: 0 });
  });

  it('passes when the L1s answered at least the least ratio, with the figures per node', () => {
    const before = { 'api-1': counts(10, 10, 10), 'api-2': counts(0, 0, 0) };
    const after = { 'api-1': counts(50, 70, 70), 'api-2': counts(30, 70, 70) };
    const result = l1AbsorbedReads(before, after);
    expect(result.verdict).toBe('pass');
    // (40 + 30) hits of (100 + 100) lookups.
    expect(result.evidence).toMatchObject({ hitRatio: 0.35, hits: 70, lookups: 200, dbReads: 130, policy: 'lfu' });
    expect(result.evidence.nodes).toMatchObject({ 'api-1': { hitRatio: 0.4, dbReads: 60 } });
    expect(result.summary).toContain('hit ratio 0.35');
  });

  it('fails when the L1s answered too little (a policy wrong for skewed reads, or an L1 not filled)', () => {
    const result = l1AbsorbedReads({ 'api-1': counts(0, 0, 0) }, { 'api-1': counts(10, 190, 190) });
    expect(result.verdict).toBe('fail');
    expect(result.evidence).toMatchObject({ hitRatio: 0.05, minRatio: MIN_L1_HIT_RATIO });
  });

  it('fails when there was no L1 lookup at all (the L1 off)', () => {
    const result = l1AbsorbedReads({ 'api-1': counts(5, 5, 5) }, { 'api-1': counts(5, 5, 300) });
    expect(result.verdict).toBe('fail');
    expect(result.summary).toMatch(/no L1 lookup/);
  });

  it('counts a node restarted during the run from 0, and names the policy sampled during the load', () => {
    const before = { 'api-1': counts(500, 500, 500) };
    const after = { 'api-1': counts(30, 70, 70, 'lru') };
    const during = { 'api-1': counts(20, 40, 40, 'random') };
    const result = l1AbsorbedReads(before, after, during);
    expect(result.evidence).toMatchObject({ hits: 30, lookups: 100, policy: 'random' });
    expect(result.verdict).toBe('pass');
  });
});

describe('zipfRank (account.read.zipf)', () => {
  it('draws rank k with weight 1 / (k + 1): the first rank about twice as often as the second', () => {
    const n = 200;
    const drawn = new Array<number>(n).fill(0);
    // A fixed, evenly spread sequence instead of Math.random: the counts are exact.
    const draws = 100_000;
    let i = 0;
    const random = () => (i++ + 0.5) / draws;
    for (let d = 0; d < draws; d++) drawn[zipfRank(n, random)]!++;
    const harmonic = Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b);
    expect(drawn[0]! / draws).toBeCloseTo(1 / harmonic, 2);
    expect(drawn[0]! / drawn[1]!).toBeCloseTo(2, 1);
    expect(drawn.every((c) => c > 0)).toBe(true);
    expect(zipfRank(1, () => 0.99)).toBe(0);
  });
});
