import { describe, expect, it } from 'vitest';
import type { SpikeAnswer } from '../src/load/generator.js';
import { admittedPerWindow, parsePolicy, rateLimitHeld } from '../src/oracles/rate-limit-held.js';
import { accountReadsIn, stampedeBounded } from '../src/oracles/stampede-bounded.js';
import { noStaleReads, REFUSED, staleReadsLabelled } from '../src/oracles/stale-reads.js';
import { quorumReadsFresh } from '../src/oracles/quorum-fresh.js';

const POLICY = 'limited;q=5;w=60';
/** A spike answer sent at `s` seconds, 20 ms long. */
const answer = (s: number, outcome: string, policy = POLICY): SpikeAnswer => ({
  sentAt: s * 1000,
  endedAt: s * 1000 + 20,
  status: outcome === 'ok' ? 200 : Number(outcome.slice(0, 3)),
  outcome,
  policy,
});
const LIMITED = '429 GW_ERR_RATE_LIMITED';

describe('rate-limit-held oracle', () => {
  it('reads the tightest quota of a RateLimit-Policy header', () => {
    expect(parsePolicy('limited;q=5;w=60')).toEqual({ limit: 5, windowMs: 60_000 });
    expect(parsePolicy('default;q=1000;w=1, limited;q=5;w=60')).toEqual({ limit: 5, windowMs: 60_000 });
    expect(parsePolicy('nonsense')).toBeUndefined();
    expect(parsePolicy(undefined)).toBeUndefined();
  });

  it('opens a window at the first admitted request and counts those surely inside it', () => {
    const answers = [answer(0, 'ok'), answer(10, 'ok'), answer(59.99, 'ok'), answer(61, 'ok'), answer(62, 'ok')];
    // 59.99 s ends at 60.01 s: it may fall after a window opened at 0-0.02 s, so it is `maybe`.
    expect(admittedPerWindow(answers, 60_000)).toEqual([
      { startedAt: 0, admitted: 2, maybe: 1 },
      { startedAt: 61_000, admitted: 2, maybe: 0 },
    ]);
  });

  it('passes a key held to its limit, refused with 429 beyond it', () => {
    const answers = [
      ...[0, 1, 2, 3, 4].map((s) => answer(s, 'ok')),
      ...[5, 6, 7, 8, 9, 10].map((s) => answer(s, LIMITED)),
      ...[61, 62].map((s) => answer(s, 'ok')),
    ];
    const result = rateLimitHeld(answers);
    expect(result.verdict).toBe('pass');
    expect(result.summary).toContain('7 admitted, 6 refused 429');
  });

  it('fails when a window admitted more than the limit (a limiter failing open)', () => {
    const answers = [0, 1, 2, 3, 4, 5, 6].map((s) => answer(s, 'ok')).concat(answer(7, LIMITED));
    const result = rateLimitHeld(answers);
    expect(result.verdict).toBe('fail');
    expect(result.evidence.bound).toBe(5);
  });

  it('fails on any answer but 2xx and the 429, and when the spike never passed the limit', () => {
    expect(
      rateLimitHeld([answer(0, 'ok'), answer(1, '503 GW_ERR_RATELIMIT_UNAVAILABLE'), answer(2, LIMITED)]).verdict,
    ).toBe('fail');
    const never = rateLimitHeld([answer(0, 'ok'), answer(1, 'ok')]);
    expect(never.verdict).toBe('fail');
    expect(never.summary).toContain('did not pass the limit');
    expect(rateLimitHeld([]).verdict).toBe('fail');
    expect(rateLimitHeld([answer(0, 'ok', '')]).summary).toContain('no RateLimit-Policy header');
  });
});

describe('stampede-bounded oracle', () => {
  it('sums the account reads of every shard and role in an exposition, nothing else', () => {
    const text = [
      '# TYPE api_db_query_duration_seconds histogram',
      'api_db_query_duration_seconds_count{shard="0",op="account_get"} 7',
      'api_db_query_duration_seconds_count{shard="1",op="account_get"} 3',
      'api_db_query_duration_seconds_count{shard="1",op="post_get"} 100',
      'api_db_query_duration_seconds_sum{shard="0",op="account_get"} 0.5',
    ].join('\n');
    expect(accountReadsIn(text)).toBe(10);
  });

  it('holds at one read per node per flush plus the first fill, and not beyond', () => {
    expect(stampedeBounded(100, 107, 3, 6).verdict).toBe('pass');
    expect(stampedeBounded(100, 121, 3, 6).verdict).toBe('pass');
    expect(stampedeBounded(100, 122, 3, 6).verdict).toBe('fail');
    expect(stampedeBounded(100, 100, 3, 0).verdict).toBe('fail');
  });
});

/** 100 reads, the failures by outcome. */
const reads = (failures: Record<string, number>) => ({
  sent: 100,
  ok: 100 - Object.values(failures).reduce((a, b) => a + b, 0),
  failed: Object.values(failures).reduce((a, b) => a + b, 0),
  failures,
  p50Ms: 1,
  p99Ms: 2,
  maxMs: 3,
});

describe('no-stale-reads oracle', () => {
  it('holds when nothing was served stale, and counts the reads refused instead', () => {
    const result = noStaleReads(0, reads({ [REFUSED]: 12, timeout: 1 }));
    expect(result.verdict).toBe('pass');
    expect(result.evidence).toMatchObject({ staleAnswers: 0, refused: 12 });
    expect(result.summary).toContain(`12 refused with ${REFUSED}`);
  });

  it('fails on one answer labelled x-stale', () => {
    expect(noStaleReads(1, reads({ [REFUSED]: 3 })).verdict).toBe('fail');
  });

  it('fails when no read was refused: the partition was not seen', () => {
    const result = noStaleReads(0, reads({ timeout: 1 }));
    expect(result.verdict).toBe('fail');
    expect(result.summary).toContain('the partition was not seen');
  });
});

describe('stale-reads-labelled oracle (availability first)', () => {
  it('passes when reads were served labelled x-stale and none refused', () => {
    const result = staleReadsLabelled(40, reads({ timeout: 1 }));
    expect(result.verdict).toBe('pass');
    expect(result.evidence).toMatchObject({ staleAnswers: 40, refused: 0 });
  });

  it('fails on one read refused with 503 API_ERR_SHARD_UNAVAILABLE (consistency first answered)', () => {
    const result = staleReadsLabelled(40, reads({ [REFUSED]: 1 }));
    expect(result.verdict).toBe('fail');
    expect(result.summary).toContain(`1 reads refused with ${REFUSED}`);
  });

  it('fails when no answer was labelled x-stale: the partition was not seen', () => {
    const result = staleReadsLabelled(0, reads({}));
    expect(result.verdict).toBe('fail');
    expect(result.summary).toContain('the partition was not seen');
  });
});

describe('quorum-reads-fresh oracle', () => {
  const v = (ms: number) => `${String(ms).padStart(18, '0')}-000000-api-1`;
  const write = (kvKey: string, ms: number, ackedAt: number) => ({ key: 'k', kvKey, version: v(ms), ackedAt });
  const read = (kvKey: string, sentAt: number, ms: number) => ({ key: 'k', kvKey, sentAt, version: v(ms) });

  it('holds when each read is at least the newest write acknowledged before it was sent', () => {
    const writes = [write('a', 100, 110), write('a', 200, 210), write('b', 150, 160)];
    // A read sent before the second write's answer may return the first (or the second).
    const reads = [read('a', 205, 100), read('a', 211, 200), read('a', 300, 250), read('b', 170, 150)];
    expect(quorumReadsFresh(writes, reads).verdict).toBe('pass');
  });

  it('fails on a read older than an acknowledged write of its key, naming it', () => {
    const result = quorumReadsFresh([write('a', 100, 110), write('a', 200, 210)], [read('a', 220, 100)]);
    expect(result.verdict).toBe('fail');
    expect(result.evidence).toMatchObject({ stale: 1, examples: [{ kvKey: 'a', read: v(100), newestAcked: v(200) }] });
  });

  it('fails with nothing read (nothing judged)', () => {
    expect(quorumReadsFresh([write('a', 100, 110)], []).verdict).toBe('fail');
  });
});
