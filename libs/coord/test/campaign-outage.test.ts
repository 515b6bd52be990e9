import { describe, expect, it, vi } from 'vitest';
import type { Campaign } from '../src/index.js';
import { count, docker, observeFor, recordingLogger, withEtcd } from './helpers.js';

const ttlSeconds = 3;
const marginMs = 750;
const FAILED = 'campaign attempt failed; campaigning again';

// etcd frozen with `docker pause`: it still accepts connections but answers nothing, which is
// what a partition looks like from the leader's side.
describe('campaign when etcd stops answering', () => {
  const { coords, containerId } = withEtcd();

  const leaders = (campaigns: readonly Campaign[]): Campaign[] => campaigns.filter((c) => c.isLeader);

  it('stops leading before its lease could have expired, then recovers to exactly one leader', async () => {
    const campaigns = ['a', 'b'].map((name) =>
      coords.make().campaign({ election: 'pause', candidate: name, ttlSeconds, marginMs }),
    );
    await vi.waitFor(() => expect(leaders(campaigns)).toHaveLength(1), { timeout: 5000, interval: 20 });
    const leader = leaders(campaigns)[0]!;
    const oldToken = leader.token!;
    const demoted: string[] = [];
    leader.on('demoted', (reason) => demoted.push(reason));

    // Every keep-alive etcd could have honoured was sent before this point.
    const pausedAt = performance.now();
    await docker('pause', containerId());
    await vi.waitFor(() => expect(leader.isLeader).toBe(false), { timeout: ttlSeconds * 1000, interval: 10 });
    const stoppedAfter = performance.now() - pausedAt;
    expect(stoppedAfter).toBeLessThan(ttlSeconds * 1000 - marginMs + 100);
    expect(leader.token).toBeUndefined();
    await vi.waitFor(() => expect(demoted).toHaveLength(1), { timeout: 500, interval: 10 });
    expect(leaders(campaigns)).toHaveLength(0);

    await docker('unpause', containerId());
    await vi.waitFor(() => expect(leaders(campaigns)).toHaveLength(1), { timeout: 30_000, interval: 50 });
    const next = leaders(campaigns)[0]!;
    expect(next.token! > oldToken).toBe(true);
    const names = await Promise.all(campaigns.map((c) => c.leader()));
    expect(new Set(names).size).toBe(1);
  });

  it('campaigns once etcd answers when it was frozen at start', async () => {
    await docker('pause', containerId());
    const campaign = coords.make().campaign({ election: 'late', candidate: 'a', ttlSeconds, marginMs });
    await observeFor(2500);
    expect(campaign.isLeader).toBe(false);
    await docker('unpause', containerId());
    await vi.waitFor(() => expect(campaign.isLeader).toBe(true), { timeout: 30_000, interval: 50 });
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
