import { describe, expect, it, vi } from 'vitest';
import {
  REPLICAS,
  expectBilledExactlyOnce,
  holdFault,
  leaderAmong,
  metric,
  replicaStatus,
  setBilling,
  subscribe,
  windDown,
} from './support/billing.js';
import { onShard } from './support/cluster-calls.js';
import { chaos } from './support/lab.js';

const TTL_MS = 3000; // ELECTION_TTL_S in docker-compose.yml

/** Charge rows last written by `stale` after `fresh` first wrote, on both shards. */
/**
 * Charge rows written with the stale token after `since`, a SQL timestamp evaluated on each shard.
 * Fencing on: since the new leader's first row there (before it, the shard's fence still held the
 * old token, and a write there was not stale yet). Fencing off: since the pause began (host and
 * containers share one clock; the frozen leader cannot write until the thaw). The new leader's rows
 * are no bound for that case: settling one of them moves its updated_at later, and CI once saw 0.
 */
async function staleRowsAfter(stale: bigint, since: string): Promise<number> {
  let n = 0;
  for (const shard of [0, 1] as const) {
    const rows = await onShard(shard, `SELECT count(*) FROM charges WHERE token = ${stale} AND updated_at > ${since}`);
    n += Number(rows[0]?.[0]);
  }
  return n;
}
const afterFirstRowOf = (token: bigint) =>
  `(SELECT coalesce(min(updated_at), 'infinity') FROM charges WHERE token = ${token})`;
const afterMs = (ms: number) => `to_timestamp(${ms} / 1000.0)`;

// Game day: the leader freezes (docker pause) for more than 2 x TTL; a new leader takes over; the
// old one thaws. Its own lease clock and abort signal stop everything it had not yet started, so to
// show what fencing is for, the lab fault `writeStallMs` holds each write for 2 s between the
// leader's last check and the database, deaf to demotion (a stop-the-world pause at the worst
// moment): after the thaw those writes go out with the stale token. Same schedule with fencing off,
// then on. The new leader leaves young pending charges alone (pendingRetryAfterMs 60 s), so the old
// leader's late settlements meet rows nobody else has touched.
describe('a leader paused past its lease, with fencing off and on', () => {
  it.each(['off', 'on'] as const)('fencing %s', { timeout: 180_000 }, async (fencing) => {
    const subs = await subscribe(12, `pause-${fencing}`);
    await setBilling({ periodSeconds: 3, fencing, pendingRetryAfterMs: 60_000, writeStallMs: 2000 });
    const { replica: old, token: oldToken } = await leaderAmong();
    const other = REPLICAS.find((r) => r !== old)!;
    // Full stalled cycles are running (stall, create, provider, stall, settle): writes of both kinds are on their way.
    const settled = await metric(old, 3003, 'billing_charges_total', { outcome: 'succeeded' });
    await vi.waitFor(
      async () =>
        expect(await metric(old, 3003, 'billing_charges_total', { outcome: 'succeeded' })).toBeGreaterThan(settled + 2),
      { timeout: 30_000, interval: 250 },
    );

    // Counters are per process and cumulative: this experiment's share is the difference.
    const rejectedBefore = await metric(old, 3003, 'billing_fence_rejections_total');
    const staleBefore = await metric(old, 3003, 'billing_stale_writes_total');
    await chaos('pause', old);
    const pausedAt = Date.now();
    let newToken: bigint;
    try {
      ({ token: newToken } = await leaderAmong([other]));
      expect(newToken > oldToken).toBe(true);
      await vi.waitFor(
        async () =>
          expect(await metric(other, 3003, 'billing_charges_total', { outcome: 'created' })).toBeGreaterThan(0),
        { timeout: 30_000, interval: 250 },
      );
      await holdFault(Math.max(0, 2 * TTL_MS + 1000 - (Date.now() - pausedAt)));
    } finally {
      await chaos('unpause', old);
    }

    // The old leader's stalled writes go out with its stale token.
    if (fencing === 'on') {
      await vi.waitFor(
        async () => expect(await metric(old, 3003, 'billing_fence_rejections_total')).toBeGreaterThan(rejectedBefore),
        {
          timeout: 30_000,
          interval: 250,
        },
      );
      expect(await metric(old, 3003, 'billing_stale_writes_total')).toBe(staleBefore);
      expect(await staleRowsAfter(oldToken, afterFirstRowOf(newToken))).toBe(0);
    } else {
      await vi.waitFor(
        async () => expect(await metric(old, 3003, 'billing_stale_writes_total')).toBeGreaterThan(staleBefore),
        {
          timeout: 30_000,
          interval: 250,
        },
      );
      expect(await metric(old, 3003, 'billing_fence_rejections_total')).toBe(rejectedBefore);
      expect(await staleRowsAfter(oldToken, afterMs(pausedAt))).toBeGreaterThan(0);
    }
    expect((await replicaStatus(old))?.leader).toBe(false);

    await windDown(subs);
    await expectBilledExactlyOnce(subs);
  });
});
