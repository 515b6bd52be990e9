import { describe, expect, it, vi } from 'vitest';
import type { Campaign } from '../src/index.js';
import { startTcpProxy } from '@sdl/testing';
import { count, docker, electionKeys, observeFor, recordingLogger, withEtcd } from './helpers.js';

const ttlSeconds = 3;
const marginMs = 750;
const FAILED = 'campaign attempt failed; campaigning again';

// etcd out of reach two ways: one candidate's own path to it frozen (a TCP proxy that stops
// forwarding), and etcd itself frozen with `docker pause` (it accepts connections but answers nothing).
describe('campaign when etcd stops answering', () => {
  const { coords, containerId, url } = withEtcd();

  const leaders = (campaigns: readonly Campaign[]): Campaign[] => campaigns.filter((c) => c.isLeader);

  it('a leader cut off from etcd stops leading before etcd can elect another, which then leads', async () => {
    // Only the leader's own path to etcd is cut (a partition as it sees it): etcd keeps running,
    // expires the leader's lease, and hands the election to the follower.
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(url()).port) });
    try {
      const a = coords
        .make({ endpoint: `http://127.0.0.1:${proxy.port}` })
        .campaign({ election: 'cut', candidate: 'a', ttlSeconds, marginMs });
      await vi.waitFor(() => expect(a.isLeader).toBe(true), { timeout: 10_000, interval: 20 });
      const oldToken = a.token!;
      const b = coords.make().campaign({ election: 'cut', candidate: 'b', ttlSeconds, marginMs });
      const demoted: string[] = [];
      a.on('demoted', (reason) => demoted.push(reason));
      // The instant etcd makes b the leader, a must already hold back: its lease clock (last
      // keep-alive sent + TTL - margin) runs out before etcd's (last keep-alive received + TTL).
      let aLeadsAtHandOver: boolean | undefined;
      b.on('elected', () => (aLeadsAtHandOver = a.isLeader));
      await vi.waitFor(async () => expect(await electionKeys(url(), 'cut')).toHaveLength(2), { timeout: 10_000 });

      proxy.freeze();
      await vi.waitFor(() => expect(b.isLeader).toBe(true), { timeout: 30_000, interval: 20 });
      expect(aLeadsAtHandOver).toBe(false);
      // The lease clock stopped it, not etcd3 reporting the lease lost (that comes only after 2 x TTL).
      expect(demoted).toEqual(['lease-lapsed']);
      expect(b.token! > oldToken).toBe(true);

      // Reconnected, a campaigns again behind b: still one leader, and both name it.
      proxy.thaw();
      await vi.waitFor(async () => expect(await electionKeys(url(), 'cut')).toHaveLength(2), { timeout: 30_000 });
      expect(a.isLeader).toBe(false);
      expect(b.isLeader).toBe(true);
      expect(await a.leader()).toBe('b');
    } finally {
      proxy.thaw();
      await proxy.close();
    }
  });

  it('stops leading by its lease clock while etcd is frozen, then recovers to exactly one leader', async () => {
    const campaigns = ['a', 'b'].map((name) =>
      coords.make().campaign({ election: 'pause', candidate: name, ttlSeconds, marginMs }),
    );
    await vi.waitFor(() => expect(leaders(campaigns)).toHaveLength(1), { timeout: 10_000, interval: 20 });
    const leader = leaders(campaigns)[0]!;
    const oldToken = leader.token!;
    const demoted: string[] = [];
    leader.on('demoted', (reason) => demoted.push(reason));

    await docker('pause', containerId());
    await vi.waitFor(() => expect(leader.isLeader).toBe(false), { timeout: 30_000, interval: 10 });
    // 'lease-lapsed': the leader's own clock ended it while etcd could not tell it anything.
    await vi.waitFor(() => expect(demoted).toEqual(['lease-lapsed']), { timeout: 5000, interval: 10 });
    expect(leader.token).toBeUndefined();
    expect(leaders(campaigns)).toHaveLength(0);

    await docker('unpause', containerId());
    await vi.waitFor(() => expect(leaders(campaigns)).toHaveLength(1), { timeout: 30_000, interval: 50 });
    const next = leaders(campaigns)[0]!;
    expect(next.token! > oldToken).toBe(true);
    const names = await Promise.all(campaigns.map((c) => c.leader()));
    expect(new Set(names).size).toBe(1);
  });

  it('gives up unanswered calls and retries while etcd is frozen at start, and leads once it answers', async () => {
    const { logger, lines } = recordingLogger();
    await docker('pause', containerId());
    const campaign = coords.make({ logger }).campaign({ election: 'late', candidate: 'a', ttlSeconds, marginMs });
    // A call to a frozen etcd never returns by itself: only the coordinator's call deadline ends it,
    // and the campaign starts a new attempt (rather than waiting on the first one forever).
    await vi.waitFor(() => expect(count(lines, FAILED)).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 50 });
    expect(campaign.isLeader).toBe(false);
    await docker('unpause', containerId());
    await vi.waitFor(() => expect(campaign.isLeader).toBe(true), { timeout: 30_000, interval: 50 });
    expect(await campaign.leader()).toBe('a');
  });
  it('retries without crashing when etcd refuses connections, and stops when closed', async () => {
    const { logger, lines } = recordingLogger();
    const coordinator = coords.make({ logger, endpoint: 'http://127.0.0.1:1' });
    const campaign = coordinator.campaign({ election: 'refused', candidate: 'a', ttlSeconds, marginMs, retryMs: 200 });
    await vi.waitFor(() => expect(count(lines, FAILED)).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
    expect(campaign.isLeader).toBe(false);
    await coordinator.close();
    const logged = count(lines, FAILED);
    await observeFor(1000);
    expect(count(lines, FAILED)).toBe(logged);
  });
});
