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

/**
 * Billing writes made with the `stale` token after the shard's fence had moved past it, on both
 * shards: the outbox events (one per charge write, never updated, the token in the payload) created
 * after the fence's last advance (a stale transaction read the newer token, so it began after that
 * advance committed). Charge rows are no evidence: a later write may re-settle a row and change its
 * token and updated_at (CI once counted 0 stale rows although billing_stale_writes_total had grown).
 * With the counts behind it, so that a failure says what the shards held.
 */
async function staleWrites(stale: bigint): Promise<{ n: number; seen: string }> {
  let n = 0;
  const seen: string[] = [];
  for (const shard of [0, 1] as const) {
    const [row] = await onShard(
      shard,
      `SELECT (SELECT count(*) FROM outbox o WHERE o.aggregate_type = 'charge' AND o.payload->>'token' = '${stale}'
                 AND f.token > ${stale} AND o.created_at > f.updated_at),
              (SELECT count(*) FROM outbox o WHERE o.aggregate_type = 'charge' AND o.payload->>'token' = '${stale}'),
              (SELECT max(o.created_at) FROM outbox o WHERE o.aggregate_type = 'charge' AND o.payload->>'token' = '${stale}'),
              f.token, f.updated_at
         FROM billing_fence f`,
    );
    n += Number(row?.[0]);
    seen.push(
      `shard ${shard}: stale ${row?.[0]}, events with the token ${row?.[1]} (last ${row?.[2]}), fence ${row?.[3]} since ${row?.[4]}`,
    );
  }
  return { n, seen: seen.join('; ') };
}

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
    // Freeze it inside a settlement's stall: right after a create (the provider answers in
    // milliseconds) it holds that charge's settlement for writeStallMs, and the new leader leaves
    // young pending charges alone, so after the thaw the settlement meets a row nobody else touched.
    // Frozen inside a create's stall instead, it may meet a subscription the new leader has charged
    // meanwhile: that create is skipped, nothing is written, and the run shows nothing (CI once).
    const created = await metric(old, 3003, 'billing_charges_total', { outcome: 'created' });
    await vi.waitFor(
      async () =>
        expect(await metric(old, 3003, 'billing_charges_total', { outcome: 'created' })).toBeGreaterThan(created),
      { timeout: 30_000, interval: 20 },
    );
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
      const { n, seen } = await staleWrites(oldToken);
      expect(n, seen).toBe(0);
    } else {
      await vi.waitFor(
        async () => expect(await metric(old, 3003, 'billing_stale_writes_total')).toBeGreaterThan(staleBefore),
        {
          timeout: 30_000,
          interval: 250,
        },
      );
      expect(await metric(old, 3003, 'billing_fence_rejections_total')).toBe(rejectedBefore);
      const { n, seen } = await staleWrites(oldToken);
      expect(n, `${seen}; paused at ${new Date(pausedAt).toISOString()}`).toBeGreaterThan(0);
    }
    expect((await replicaStatus(old))?.leader).toBe(false);

    await windDown(subs);
    await expectBilledExactlyOnce(subs);
  });
});
