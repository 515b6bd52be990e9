import { describe, expect, it } from 'vitest';
import { containerOf, execIn, labAsync, waitHealthy } from './support/lab.js';

const all = '--endpoints=http://etcd-1:2379,http://etcd-2:2379,http://etcd-3:2379';

function etcdctl(member: string, ...args: string[]): Promise<string> {
  return execIn(member, ['etcdctl', ...args]);
}

/** etcd-2's member and cluster ids, as it reports them itself. */
async function identity(): Promise<{ member_id: number; cluster_id: number }> {
  const status = JSON.parse(
    await etcdctl('etcd-2', '--endpoints=http://127.0.0.1:2379', 'endpoint', 'status', '-w', 'json'),
  );
  const { member_id, cluster_id } = (status as { Status: { header: { member_id: number; cluster_id: number } } }[])[0]!
    .Status.header;
  return { member_id, cluster_id };
}

// Compose re-creates a container whenever its settings change (ETCD_HEARTBEAT_MS, a new image).
// The member must come back as itself: with its Raft log in the container's own layer it came back
// empty, tried to bootstrap the cluster again, and the others refused it ("member ... has already
// been bootstrapped"), so `./lab start` never got ready.
describe('an etcd member re-created by compose', () => {
  it('rejoins as itself with its data (a named volume), and the three are healthy', async () => {
    const key = `/sdl-test/recreated-member/${Date.now()}`;
    await etcdctl('etcd-1', all, 'put', key, 'kept');
    const before = await containerOf('etcd-2');
    const was = await identity();
    try {
      await labAsync(['compose', 'up', '-d', '--no-deps', '--force-recreate', 'etcd-2'], 120_000);
      expect(await containerOf('etcd-2')).not.toBe(before);
      await waitHealthy('etcd-2');
      // A serializable read is answered from etcd-2's own store, not forwarded to the leader.
      const local = await etcdctl('etcd-2', '--endpoints=http://127.0.0.1:2379', 'get', key, '--consistency=s');
      expect(local.trim().split('\n')).toEqual([key, 'kept']);
      expect(await identity()).toEqual(was);
      const health = JSON.parse(await etcdctl('etcd-1', all, 'endpoint', 'health', '-w', 'json')) as {
        health: boolean;
      }[];
      expect(health.map((h) => h.health)).toEqual([true, true, true]);
    } finally {
      await etcdctl('etcd-1', all, 'del', key);
    }
  });
});
