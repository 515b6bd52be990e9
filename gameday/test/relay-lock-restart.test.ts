import { describe, expect, it } from 'vitest';
import {
  doubleGrants,
  holdsIn,
  relayLockCountsIn,
  relayLockRestart,
  type RelayLockCounts,
} from '../src/oracles/relay-lock-restart.js';

/** A lock-keeper log line of an api node, as pino writes it in compose. */
const line = (node: string, shard: number, time: number, msg: string) =>
  JSON.stringify({
    level: msg === 'lock acquired' ? 30 : 40,
    time: new Date(time).toISOString(),
    node,
    shard,
    component: 'lock-keeper',
    resource: `outbox-relay:shard:${shard}`,
    msg,
  });
const counts = (mode: string, forgotten: number, acquired = 2): RelayLockCounts => ({
  lost: { extend_failed: forgotten, expired: 0 },
  acquired,
  modes: [mode, mode, mode],
});

describe('relay-lock-restart oracle', () => {
  it('reads the relay lock counters and the lock Redis modes of an exposition', () => {
    const text = [
      '# TYPE api_outbox_relay_lock_lost_total counter',
      'api_outbox_relay_lock_lost_total{shard="0",reason="extend_failed",service="api",node="api-1"} 2',
      'api_outbox_relay_lock_lost_total{shard="1",reason="extend_failed",service="api",node="api-1"} 1',
      'api_outbox_relay_lock_lost_total{shard="1",reason="expired",service="api",node="api-1"} 1',
      'api_outbox_relay_lock_acquired_total{shard="0",service="api",node="api-1"} 3',
      'api_outbox_relay_lock_acquired_total{shard="1",service="api",node="api-1"} 1',
      'api_lock_redis_persistence{instance="2",mode="aof-always",service="api",node="api-1"} 1',
      'api_lock_redis_persistence{instance="1",mode="none",service="api",node="api-1"} 1',
      'api_outbox_relay_leader{shard="0",service="api",node="api-1"} 1',
    ].join('\n');
    expect(relayLockCountsIn(text)).toEqual({
      lost: { extend_failed: 3, expired: 1 },
      acquired: 4,
      modes: ['none', 'aof-always'],
    });
  });

  it('finds two nodes holding one shard at once, from their logs', () => {
    const a = holdsIn(
      'api-1',
      [
        'not json',
        line('api-1', 0, 5_000, 'lock extension refused; lock lost'),
        line('api-1', 1, 6_000, 'lock acquired'),
        '{"component":"redis","msg":"redis connection restored"}',
      ],
      1_000,
      9_000,
    );
    // Held shard 0 since before the window (no acquisition in it) until refused; holds shard 1 at the end.
    expect(a).toEqual([
      { node: 'api-1', shard: 0, from: 1_000, to: 5_000 },
      { node: 'api-1', shard: 1, from: 6_000, to: 9_000 },
    ]);
    const b = holdsIn(
      'api-2',
      [
        line('api-2', 0, 4_600, 'lock acquired'),
        line('api-2', 1, 5_500, 'lock acquired'),
        line('api-2', 1, 5_900, 'lock validity ran out before it was extended; lock lost'),
      ],
      1_000,
      9_000,
    );
    expect(doubleGrants([...a, ...b])).toEqual([{ shard: 0, nodes: ['api-1', 'api-2'], overlapMs: 400 }]);
  });

  it('without persistence, passes only when a lock was forgotten', () => {
    const forgot = relayLockRestart(counts('none', 1), counts('none', 3, 4), []);
    expect(forgot.verdict).toBe('pass');
    expect(forgot.evidence).toMatchObject({ forgotten: 2, acquired: 2, doubleGrants: [] });
    const missed = relayLockRestart(counts('none', 1), counts('none', 1), []);
    expect(missed.verdict).toBe('fail');
    expect(missed.summary).toContain('0 relay locks forgotten');
  });

  it('with aof-always, fails on a forgotten lock', () => {
    const kept = relayLockRestart(counts('aof-always', 1), counts('aof-always', 1), []);
    expect(kept.verdict).toBe('pass');
    expect(relayLockRestart(counts('aof-always', 1), counts('aof-always', 2), []).verdict).toBe('fail');
    // A double grant without a forgotten lock is a holder that outlived its validity: reported only.
    const twice = [
      { node: 'api-1', shard: 0, from: 0, to: 5 },
      { node: 'api-2', shard: 0, from: 2, to: 8 },
    ];
    const paused = relayLockRestart(counts('aof-always', 1), counts('aof-always', 1), twice);
    expect(paused.verdict).toBe('pass');
    expect(paused.summary).toContain('1 double grants (two nodes relaying one shard for up to 3 ms)');
  });

  it('cannot pass without knowing the modes', () => {
    const unknown: RelayLockCounts = { lost: {}, acquired: 0, modes: [] };
    expect(relayLockRestart(unknown, counts('none', 1), []).verdict).toBe('fail');
    expect(relayLockRestart(counts('rdb', 0), counts('rdb', 0), []).verdict).toBe('pass');
  });
});
