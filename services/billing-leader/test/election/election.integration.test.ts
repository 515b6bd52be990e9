import { createCoordinator, type Coordinator } from '@sdl/coord';
import { loadCpu, startEtcd, type Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LeaderStatus } from '../../src/election/leadership.js';
import { buildTestApp, observeFor, sample, testContext } from '../support/helpers.js';

// The compose settings (ELECTION_TTL_S, ELECTION_MARGIN_MS' default). How long hand-overs take is
// measured by bench/coord/handover.ts and bench/failover, not asserted here.
const ttlSeconds = 3;
const marginMs = 750;

interface Replica {
  readonly node: string;
  readonly app: FastifyInstance;
  closed: boolean;
}

// Two replicas against one real etcd, as compose runs billing-leader-1 and -2.
describe('billing-leader replicas', () => {
  let etcd: Started;
  let replicas: Replica[] = [];
  const coordinators: Coordinator[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    await Promise.all(replicas.filter((r) => !r.closed).map((r) => r.app.close()));
    await Promise.all(coordinators.splice(0).map((c) => c.close()));
    replicas = [];
  });
  afterAll(() => etcd?.stop());

  async function replica(node: string, election: string, coordinator?: Coordinator): Promise<Replica> {
    const { app } = await buildTestApp(
      {
        NODE_ID: node,
        ETCD_ENDPOINTS: etcd.url,
        ELECTION_NAME: election,
        ELECTION_TTL_S: String(ttlSeconds),
        ELECTION_MARGIN_MS: String(marginMs),
        TICK_MS: '50',
      },
      { coordinator },
    );
    await app.ready();
    const made = { node, app, closed: false };
    replicas.push(made);
    return made;
  }

  const status = async (r: Replica): Promise<LeaderStatus> =>
    (await r.app.inject({ method: 'GET', url: '/v1/status' })).json();
  const metrics = async (r: Replica): Promise<string> => (await r.app.inject({ method: 'GET', url: '/metrics' })).body;

  async function oneLeader(candidates: readonly Replica[], timeout: number): Promise<[Replica, LeaderStatus[]]> {
    let statuses: LeaderStatus[] = [];
    await vi.waitFor(
      async () => {
        statuses = await Promise.all(candidates.map(status));
        expect(statuses.filter((s) => s.leader)).toHaveLength(1);
      },
      { timeout, interval: 20 },
    );
    return [candidates[statuses.findIndex((s) => s.leader)]!, statuses];
  }

  it('elects exactly one replica; both name it, and only its metrics say so', async () => {
    const a = await replica('billing-leader-1', 'agree');
    const b = await replica('billing-leader-2', 'agree');
    const [leader, statuses] = await oneLeader([a, b], 5000);
    for (const s of statuses) expect(s.leaderNode).toBe(leader.node);
    const leading = statuses.find((s) => s.leader)!;
    expect(leading.token).toMatch(/^\d+$/);
    expect(Date.parse(leading.since!)).not.toBeNaN();
    expect(statuses.find((s) => !s.leader)).toMatchObject({ token: null, since: null });

    const texts = await Promise.all([a, b].map(metrics));
    expect(texts.map((t) => sample(t, 'billing_leader_is_leader')).sort()).toEqual([0, 1]);
    const leaderText = texts[[a, b].indexOf(leader)]!;
    expect(sample(leaderText, 'billing_leader_fencing_token')).toBe(Number(leading.token));
    expect(sample(leaderText, 'billing_leader_elections_total')).toBe(1);
    // Only the leader ticks.
    const follower = [a, b].find((r) => r !== leader)!;
    await vi.waitFor(async () =>
      expect(sample(await metrics(leader), 'billing_leader_ticks_total')).toBeGreaterThanOrEqual(2),
    );
    expect(sample(await metrics(follower), 'billing_leader_ticks_total')).toBe(0);
  });

  it('hands over at once when the leader shuts down gracefully (resigns)', async () => {
    const a = await replica('billing-leader-1', 'graceful');
    const b = await replica('billing-leader-2', 'graceful');
    const [leader, statuses] = await oneLeader([a, b], 5000);
    const oldToken = BigInt(statuses.find((s) => s.leader)!.token!);
    const other = leader === a ? b : a;

    await leader.app.close();
    leader.closed = true;
    // At once: the shutdown resigned (revoked the lease), so the old leader's key is gone already
    // (etcd's first key, the one status reads, is the other's) and nothing waits for a TTL.
    expect((await status(other)).leaderNode).toBe(other.node);
    const [next, after] = await oneLeader([other], 10_000);
    expect(next).toBe(other);
    expect(after[0]!.leaderNode).toBe(other.node);
    expect(BigInt(after[0]!.token!) > oldToken).toBe(true);
  });

  it('hands over once the lease lapses when the leader stops renewing it', async () => {
    const coordinatorA = createCoordinator({ endpoints: [etcd.url], logger: testContext().logger });
    const coordinatorB = createCoordinator({ endpoints: [etcd.url], logger: testContext().logger });
    coordinators.push(coordinatorA, coordinatorB);
    const a = await replica('billing-leader-1', 'crash', coordinatorA);
    const b = await replica('billing-leader-2', 'crash', coordinatorB);
    const [leader] = await oneLeader([a, b], 5000);
    const other = leader === a ? b : a;

    // As if the process froze or was cut off: keep-alives stop, nothing is revoked.
    await (leader === a ? coordinatorA : coordinatorB).close();
    expect(await status(leader)).toMatchObject({ leader: false, token: null });
    // Its key stays until etcd expires the lease (etcd still names it first); only then does the
    // other replica lead.
    expect(await status(other)).toMatchObject({ leader: false, leaderNode: leader.node });
    await oneLeader([other], 30_000);
    expect((await status(other)).leaderNode).toBe(other.node);
    expect(sample(await metrics(leader), 'billing_leader_demotions_total', { reason: 'released' })).toBe(1);
    expect(sample(await metrics(other), 'billing_leader_is_leader')).toBe(1);
  });

  it('keeps exactly one leader, never demoted, while CPU burners saturate the machine', async () => {
    const a = await replica('billing-leader-1', 'busy');
    const b = await replica('billing-leader-2', 'busy');
    const [leader] = await oneLeader([a, b], 10_000);
    const load = loadCpu({ maxMs: 30_000 });
    const leadersSeen = new Set<string>();
    let most = 0;
    let disagreements = 0;
    let observing = true;
    try {
      // Both replicas read at once, over and over, for three TTLs and more: every keep-alive (each
      // TTL/3) and every status answer competes with the burners for the CPU.
      const sampling = (async () => {
        while (observing) {
          const statuses = await Promise.all([a, b].map(status));
          const leading = statuses.filter((s) => s.leader);
          most = Math.max(most, leading.length);
          for (const s of leading) leadersSeen.add(s.node);
          // A lookup of the leader in etcd that took too long answers null; any two names must agree.
          const named = new Set(statuses.flatMap((s) => (s.leaderNode === null ? [] : [s.leaderNode])));
          if (named.size > 1) disagreements++;
        }
      })();
      await observeFor(ttlSeconds * 3000 + 1000);
      observing = false;
      await sampling;
    } finally {
      observing = false;
      await load.stop();
    }
    expect(most).toBe(1);
    expect([...leadersSeen]).toEqual([leader.node]);
    expect(disagreements).toBe(0);
    for (const r of [a, b]) expect(sample(await metrics(r), 'billing_leader_demotions_total')).toBeUndefined();
    expect(sample(await metrics(leader), 'billing_leader_elections_total')).toBe(1);
  });
});
