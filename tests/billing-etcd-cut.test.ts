import { describe, expect, it, vi } from 'vitest';
import {
  REPLICAS,
  expectBilledExactlyOnce,
  leaderAmong,
  metric,
  replicaStatus,
  setBilling,
  subscribe,
  windDown,
} from './support/billing.js';
import { onShard } from './support/cluster-calls.js';
import { chaos } from './support/lab.js';

// The leader loses etcd but keeps its databases and the provider (`docker network disconnect` from
// etcd's network `coord`): it cannot renew its lease, so it must stop acting on its own lease clock
// (last keep-alive + TTL - margin), before etcd hands the lease to the other replica.
describe('a leader cut off from etcd', () => {
  it(
    'stops acting before the new leader acts, and nothing is charged twice after it is back',
    { timeout: 180_000 },
    async () => {
      const subs = await subscribe(12, 'cut');
      await setBilling({ periodSeconds: 2 });
      const { replica: old, token: oldToken } = await leaderAmong();
      const other = REPLICAS.find((r) => r !== old)!;
      await vi.waitFor(
        async () =>
          expect(await metric(old, 3003, 'billing_charges_total', { outcome: 'succeeded' })).toBeGreaterThan(0),
        {
          timeout: 30_000,
          interval: 250,
        },
      );

      // Counters are per process and cumulative: this experiment's share is the difference.
      const lapsedBefore = await metric(old, 3003, 'billing_leader_demotions_total', { reason: 'lease-lapsed' });
      const rejectedBefore = await metric(old, 3003, 'billing_fence_rejections_total');
      await chaos('disconnect', old, 'coord');
      let newToken: bigint;
      try {
        ({ token: newToken } = await leaderAmong([other]));
        await vi.waitFor(async () => expect((await replicaStatus(old))?.leader).toBe(false), {
          timeout: 30_000,
          interval: 250,
        });
        await vi.waitFor(
          async () =>
            expect(await metric(other, 3003, 'billing_charges_total', { outcome: 'succeeded' })).toBeGreaterThan(0),
          { timeout: 30_000, interval: 250 },
        );
      } finally {
        await chaos('connect', old, 'coord');
      }

      // No overlap: on each shard, the old token's last write precedes the new token's first.
      for (const shard of [0, 1] as const) {
        const rows = await onShard(
          shard,
          `SELECT coalesce((SELECT max(updated_at) FROM charges WHERE token = ${oldToken})
                         < (SELECT min(updated_at) FROM charges WHERE token = ${newToken}), true)`,
        );
        expect(rows[0]?.[0]).toBe('t');
      }
      // It stopped on its own lease clock, before the fence had anything to refuse.
      expect(await metric(old, 3003, 'billing_leader_demotions_total', { reason: 'lease-lapsed' })).toBe(
        lapsedBefore + 1,
      );
      expect(await metric(old, 3003, 'billing_fence_rejections_total')).toBe(rejectedBefore);

      await windDown(subs);
      await expectBilledExactlyOnce(subs);
    },
  );
});
