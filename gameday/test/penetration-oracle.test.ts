import { describe, expect, it } from 'vitest';
import { missingAccountId } from '../src/load/workload.js';
import {
  PENETRATION_MAX_FRACTION,
  penetrationBounded,
  penetrationIn,
  type PenetrationSnapshot,
} from '../src/oracles/penetration-bounded.js';

const snapshot = (maybe: number, bypass: number, off: number, states = { 'api-1': 2 }): PenetrationSnapshot => ({
  missingReads: { maybe, bypass, off },
  accountReads: maybe + bypass + off,
  states,
});
const ZERO = snapshot(0, 0, 0);

describe('penetration-bounded oracle', () => {
  it('reads the missing-id reads by filter, the account reads and the switch state of one node', () => {
    const exposition = [
      '# HELP api_bloom_missing_reads_total Database reads for an id the database did not have',
      'api_bloom_missing_reads_total{entity="account",filter="maybe"} 3',
      'api_bloom_missing_reads_total{entity="account",filter="bypass"} 2',
      'api_bloom_missing_reads_total{entity="account",filter="off"} 40',
      'api_bloom_missing_reads_total{entity="post",filter="off"} 7',
      'api_bloom_filter_state{service="api",node="api-1"} 2',
      'api_db_query_duration_seconds_count{shard="0",op="account_get"} 30',
      'api_db_query_duration_seconds_count{shard="1",op="account_get"} 25',
      'api_db_query_duration_seconds_count{shard="1",op="post_get"} 99',
    ].join('\n');
    expect(penetrationIn(exposition)).toEqual({
      missingReads: { maybe: 3, bypass: 2, off: 40 },
      accountReads: 55,
      state: 2,
    });
  });

  it('passes when only about the false-positive rate of missing-id reads reached a database', () => {
    const result = penetrationBounded(ZERO, snapshot(4, 2, 0), 600);
    expect(result.verdict).toBe('pass');
    expect(result.summary).toContain('6 of 600');
    expect(result.evidence).toMatchObject({
      reached: 6,
      missingAnswered: 600,
      byFilter: { maybe: 4, bypass: 2, off: 0 },
    });
  });

  it('fails with the filter off: every missing id read from the database', () => {
    const result = penetrationBounded(ZERO, snapshot(0, 0, 600, { 'api-1': 0 }), 600);
    expect(result.verdict).toBe('fail');
    expect(result.summary).toContain('600 off');
    expect(result.evidence).toMatchObject({ fraction: 1, statesAfter: { 'api-1': 0 } });
  });

  it('fails when the filter is on but unusable (every check a bypass), and just past the bound', () => {
    expect(penetrationBounded(ZERO, snapshot(0, 300, 0), 600).verdict).toBe('fail');
    const bound = Math.floor(600 * PENETRATION_MAX_FRACTION);
    expect(penetrationBounded(ZERO, snapshot(bound, 0, 0), 600).verdict).toBe('pass');
    expect(penetrationBounded(ZERO, snapshot(bound + 1, 0, 0), 600).verdict).toBe('fail');
  });

  it('counts only what grew during the run, and judges nothing without enough missing-id reads', () => {
    expect(penetrationBounded(snapshot(0, 0, 500), snapshot(2, 0, 500), 400).verdict).toBe('pass');
    const none = penetrationBounded(ZERO, ZERO, 10);
    expect(none.verdict).toBe('fail');
    expect(none.summary).toContain('nothing to judge');
  });

  it('makes missing ids of the api account id shape, all different', () => {
    const ids = Array.from({ length: 1000 }, () => missingAccountId());
    for (const id of ids) expect(id).toMatch(/^acc_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(1000);
  });
});
