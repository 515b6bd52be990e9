import { describe, expect, it, vi } from 'vitest';
import type { Campaign, Coordinator } from '../src/index.js';
import { electionKeys, observeFor, withEtcd } from './helpers.js';

const ttlSeconds = 3;
const marginMs = 750;

interface Candidate {
  readonly name: string;
  readonly coordinator: Coordinator;
  readonly campaign: Campaign;
  readonly events: string[];
}

describe('campaign', () => {
  const { coords, url } = withEtcd();

  function candidate(election: string, name: string): Candidate {
    const coordinator = coords.make();
    const campaign = coordinator.campaign({ election, candidate: name, ttlSeconds, marginMs });
    const events: string[] = [];
    campaign.on('elected', (token) => events.push(`elected:${token}`));
    campaign.on('demoted', (reason) => events.push(`demoted:${reason}`));
    return { name, coordinator, campaign, events };
  }

  async function oneLeader(candidates: readonly Candidate[], timeout = 5000): Promise<[Candidate, Candidate[]]> {
    await vi.waitFor(() => expect(candidates.filter((c) => c.campaign.isLeader)).toHaveLength(1), {
      timeout,
      interval: 20,
    });
    const leader = candidates.find((c) => c.campaign.isLeader)!;
    return [leader, candidates.filter((c) => c !== leader)];
  }

  it('elects exactly one of two candidates, which holds a token; both name it as leader', async () => {
    const candidates = [candidate('two', 'a'), candidate('two', 'b')];
    const [leader, [follower]] = await oneLeader(candidates);
    expect(leader.campaign.token).toBeTypeOf('bigint');
    expect(leader.campaign.token! > 0n).toBe(true);
    expect(leader.events).toEqual([`elected:${leader.campaign.token}`]);
    expect(follower!.campaign.token).toBeUndefined();
    expect(await leader.campaign.leader()).toBe(leader.name);
    expect(await follower!.campaign.leader()).toBe(leader.name);
    // Leadership holds past the TTL: keep-alives renew it and the follower stays a follower.
    await observeFor(ttlSeconds * 1000 + 500);
    expect(leader.campaign.isLeader).toBe(true);
    expect(follower!.campaign.isLeader).toBe(false);
    expect(follower!.events).toEqual([]);
  });

  it('hands over at once when the leader resigns, with a strictly larger token', async () => {
    const candidates = [candidate('resign', 'a'), candidate('resign', 'b')];
    const [leader, [follower]] = await oneLeader(candidates);
    const oldToken = leader.campaign.token!;

    const [leaderKey, followerKey] = await electionKeys(url(), 'resign');
    await leader.campaign.resign();
    expect(leader.campaign.isLeader).toBe(false);
    expect(leader.events.at(-1)).toBe('demoted:resigned');
    // At once: resign() revoked the lease, so the leader's key is already gone and nothing waits
    // for a TTL (how long the hand-over takes: bench/coord/handover.ts).
    expect(await electionKeys(url(), 'resign')).toEqual([followerKey]);
    expect(leaderKey).not.toBe(followerKey);
    await vi.waitFor(() => expect(follower!.campaign.isLeader).toBe(true), { timeout: 10_000, interval: 10 });
    expect(follower!.campaign.token! > oldToken).toBe(true);
    expect(await follower!.campaign.leader()).toBe(follower!.name);
    // A resigned candidate stays out of the election.
    await observeFor(1500);
    expect(leader.campaign.isLeader).toBe(false);
    expect(leader.events.filter((e) => e.startsWith('elected'))).toHaveLength(1);
  });

  it('hands over once the lease lapses when the leader stops renewing (its coordinator closed)', async () => {
    const candidates = [candidate('crash', 'a'), candidate('crash', 'b')];
    const [leader, [follower]] = await oneLeader(candidates);
    const oldToken = leader.campaign.token!;
    const keys = await electionKeys(url(), 'crash');

    await leader.coordinator.close();
    expect(leader.campaign.isLeader).toBe(false);
    expect(leader.events.at(-1)).toBe('demoted:released');
    // Nothing was revoked, as when a process dies: the key stays until etcd expires its lease, and
    // only then does the follower lead (the TTL plus etcd's sweep: bench/coord/handover.ts).
    expect(await electionKeys(url(), 'crash')).toEqual(keys);
    expect(follower!.campaign.isLeader).toBe(false);
    await vi.waitFor(() => expect(follower!.campaign.isLeader).toBe(true), { timeout: 30_000, interval: 10 });
    expect(await electionKeys(url(), 'crash')).toEqual(keys.slice(1));
    expect(follower!.campaign.token! > oldToken).toBe(true);
  });

  it('keeps one leader among three through a chain of hand-overs, tokens strictly increasing', async () => {
    const candidates = [candidate('three', 'a'), candidate('three', 'b'), candidate('three', 'c')];
    const tokens: bigint[] = [];
    let remaining = candidates;
    while (remaining.length > 0) {
      const [leader, rest] = await oneLeader(remaining);
      tokens.push(leader.campaign.token!);
      await leader.campaign.resign();
      remaining = rest;
    }
    expect(tokens).toHaveLength(3);
    expect(tokens[0]! < tokens[1]! && tokens[1]! < tokens[2]!).toBe(true);
  });

  it('rejects a margin that is not shorter than the TTL', () => {
    expect(() => coords.make().campaign({ election: 'bad', candidate: 'x', ttlSeconds: 1, marginMs: 1000 })).toThrow(
      RangeError,
    );
  });
});
