import { afterAll, describe, expect, it, vi } from 'vitest';
import { call, promQuery } from './support/http.js';
import { chaos, getInside, isRunning, waitHealthy } from './support/lab.js';

interface LeaderStatus {
  node: string;
  leader: boolean;
  leaderNode: string | null;
  token: string | null;
  since: string | null;
}

const billing = ['billing-leader-1', 'billing-leader-2'] as const;
const TTL_MS = 3000; // ELECTION_TTL_S in docker-compose.yml

async function statuses(): Promise<Map<string, LeaderStatus>> {
  const out = new Map<string, LeaderStatus>();
  for (const svc of billing) {
    if (await isRunning(svc)) out.set(svc, (await getInside(svc, 3003, '/v1/status')) as LeaderStatus);
  }
  return out;
}

async function upstreams(n: number): Promise<{ failures: number; seen: Map<string, number> }> {
  const seen = new Map<string, number>();
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const res = await call('GET', '/v1/whoami');
    if (res.status !== 200) failures++;
    const up = res.headers.get('x-upstream') ?? '?';
    seen.set(up, (seen.get(up) ?? 0) + 1);
  }
  return { failures, seen };
}

// Whatever a test killed is started again, so the next file finds the cluster whole.
async function restore(service: string): Promise<void> {
  if (!(await isRunning(service))) await chaos('start', service);
  await waitHealthy(service);
}

describe('the lb spreads over api nodes discovered in etcd and stops sending to a dead one', () => {
  afterAll(async () => restore('api-2'));

  it('round-robins over all three api nodes', async () => {
    await vi.waitFor(
      async () => {
        const { failures, seen } = await upstreams(30);
        expect(failures).toBe(0);
        expect([...seen.keys()].sort()).toEqual(['api-1', 'api-2', 'api-3']);
      },
      { timeout: 30_000, interval: 500 },
    );
  });

  it('keeps answering under steady load while api-2 is killed, and takes it back when it returns', async () => {
    // Four concurrent clients keep sending GETs across the kill; one that lands on the dead node
    // is retried on another (GET is idempotent) until health checks or the lease drop it.
    // Bounded: at most 30 s and 4000 requests.
    const load = { stop: false, sent: 0, failures: 0, recent: [] as string[] };
    const worker = async (): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!load.stop && Date.now() < deadline && load.sent < 4000) {
        load.sent++;
        const res = await call('GET', '/v1/whoami');
        if (res.status !== 200) load.failures++;
        load.recent.push(res.headers.get('x-upstream') ?? '?');
        if (load.recent.length > 40) load.recent.shift();
      }
    };
    const workers = Array.from({ length: 4 }, () => worker());
    await vi.waitFor(() => expect(load.sent).toBeGreaterThan(40), { timeout: 10_000 });
    await chaos('kill', 'api-2');
    const sentAtKill = load.sent;
    try {
      await vi.waitFor(
        () => {
          expect(load.sent - sentAtKill).toBeGreaterThan(40);
          expect(load.recent).not.toContain('api-2');
        },
        { timeout: 25_000, interval: 100 },
      );
    } finally {
      load.stop = true;
      await Promise.all(workers);
    }
    console.info(
      `lb under load: ${load.sent} requests, ${load.sent - sentAtKill} after the kill, ${load.failures} failed`,
    );
    expect(load.failures).toBe(0);

    const steady = await upstreams(60);
    expect(steady.failures).toBe(0);
    expect([...steady.seen.keys()].sort()).toEqual(['api-1', 'api-3']);

    await restore('api-2');
    await vi.waitFor(
      async () => {
        const { failures, seen } = await upstreams(15);
        expect(failures).toBe(0);
        expect(seen.has('api-2')).toBe(true);
      },
      { timeout: 30_000, interval: 500 },
    );
  });
});

describe('billing-leader election in etcd', () => {
  afterAll(async () => {
    for (const svc of billing) await restore(svc);
  });

  it('has exactly one leader, and every replica names the same one', async () => {
    await vi.waitFor(
      async () => {
        const all = [...(await statuses()).values()];
        expect(all).toHaveLength(2);
        expect(all.filter((s) => s.leader)).toHaveLength(1);
        const leader = all.find((s) => s.leader)!;
        for (const s of all) expect(s.leaderNode).toBe(leader.node);
        expect(leader.token).toMatch(/^\d+$/);
      },
      { timeout: 20_000, interval: 500 },
    );
    // The same answer from the metric, as Prometheus scraped it.
    await vi.waitFor(
      async () => {
        const series = await promQuery('billing_leader_is_leader');
        expect(series).toHaveLength(2);
        expect(series.reduce((sum, s) => sum + Number(s.value[1]), 0)).toBe(1);
      },
      { timeout: 20_000, interval: 1000 },
    );
  });

  it('hands leadership to the other replica when the leader is killed, with a larger fencing token', async () => {
    const before = [...(await statuses()).values()].find((s) => s.leader)!;
    const other = billing.find((s) => s !== before.node)!;
    const killedAt = Date.now();
    await chaos('kill', before.node);
    // Lease TTL is 3 s (docker-compose.yml): the dead leader's lease expires at most 3 s after its
    // last keep-alive, etcd sweeps expired leases every 0.5 s, then the watch tells the follower.
    const after = await vi.waitFor(
      async () => {
        const s = (await getInside(other, 3003, '/v1/status')) as LeaderStatus;
        expect(s.leader).toBe(true);
        expect(BigInt(s.token ?? '0')).toBeGreaterThan(BigInt(before.token ?? '0'));
        return s;
      },
      { timeout: 12_000, interval: 200 },
    );
    // Containers share the host's clock, so the new leader's own election time measures the gap.
    const gapMs = Date.parse(after.since ?? '') - killedAt;
    console.info(`billing failover: ${other} elected ${gapMs} ms after the kill of ${before.node} (TTL ${TTL_MS} ms)`);
    expect(gapMs).toBeGreaterThan(0);
    // Within the TTL plus a margin (3 s) for the sweep, the watch and a busy 2-core machine.
    expect(gapMs).toBeLessThanOrEqual(TTL_MS + 3000);

    // The old leader comes back as a follower: still exactly one leader.
    await restore(before.node);
    await vi.waitFor(
      async () => {
        const all = [...(await statuses()).values()];
        expect(all).toHaveLength(2);
        expect(all.filter((s) => s.leader).map((s) => s.node)).toEqual([other]);
      },
      { timeout: 20_000, interval: 500 },
    );
  });
});
