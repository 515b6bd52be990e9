import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLeadership, type Leadership } from '../../src/election/leadership.js';
import { FakeElection, recordingWork } from '../support/fakes.js';
import { sample, testContext } from '../support/helpers.js';

describe('createLeadership', () => {
  let leadership: Leadership | undefined;
  afterEach(() => leadership?.shutdown());

  function setup(): { election: FakeElection; work: ReturnType<typeof recordingWork>; metrics: () => Promise<string> } {
    const { logger, metrics } = testContext('node-a');
    const election = new FakeElection();
    const work = recordingWork();
    leadership = createLeadership({
      campaign: () => election,
      work,
      nodeId: 'node-a',
      tickMs: 10,
      logger,
      registry: metrics.registry,
      leaderLookupMs: 100,
    });
    leadership.start();
    return { election, work, metrics: () => metrics.registry.metrics() };
  }

  it('answers "not leading" before it campaigns', async () => {
    const { logger, metrics } = testContext();
    const idle = createLeadership({
      campaign: () => new FakeElection(),
      work: recordingWork(),
      nodeId: 'n',
      tickMs: 10,
      logger,
      registry: metrics.registry,
    });
    expect(await idle.status()).toEqual({ node: 'n', leader: false, leaderNode: null, token: null, since: null });
  });

  it('runs the work with the token once elected, and shows it in status and metrics', async () => {
    const { election, work, metrics } = setup();
    expect(await leadership!.status()).toMatchObject({ leader: false, token: null, since: null });
    election.elect(42n, 'node-a');
    await vi.waitFor(() => expect(work.calls.length).toBeGreaterThanOrEqual(2));
    expect(new Set(work.calls)).toEqual(new Set([42n]));

    const status = await leadership!.status();
    expect(status).toMatchObject({ node: 'node-a', leader: true, leaderNode: 'node-a', token: '42' });
    expect(Date.parse(status.since!)).toBeLessThanOrEqual(Date.now());
    const text = await metrics();
    expect(sample(text, 'billing_leader_is_leader')).toBe(1);
    expect(sample(text, 'billing_leader_fencing_token')).toBe(42);
    expect(sample(text, 'billing_leader_elections_total')).toBe(1);
    expect(sample(text, 'billing_leader_ticks_total')).toBeGreaterThanOrEqual(2);
  });

  it('aborts the running tick as the demoted event fires, and counts the reason', async () => {
    const { election, work, metrics } = setup();
    work.blockUntilAbort = true;
    election.elect(5n);
    await vi.waitFor(() => expect(work.calls).toEqual([5n]));
    election.demote('lease-lapsed');
    await vi.waitFor(() => expect(work.aborted).toBe(1), { timeout: 100 });
    expect(await leadership!.status()).toMatchObject({ leader: false, token: null, since: null });
    const text = await metrics();
    expect(sample(text, 'billing_leader_is_leader')).toBe(0);
    expect(sample(text, 'billing_leader_fencing_token')).toBe(0);
    expect(sample(text, 'billing_leader_demotions_total', { reason: 'lease-lapsed' })).toBe(1);
  });

  it('reports not leading as soon as the lease clock lapses, before the event', async () => {
    const { election, metrics } = setup();
    election.elect(9n);
    election.clockValid = false;
    expect(await leadership!.status()).toMatchObject({ leader: false, token: null });
    expect(sample(await metrics(), 'billing_leader_is_leader')).toBe(0);
  });

  it('answers leaderNode null when etcd cannot name the leader', async () => {
    const { election } = setup();
    election.elect(1n, 'node-a');
    election.leaderError = new Error('deadline exceeded');
    expect(await leadership!.status()).toMatchObject({ leader: true, leaderNode: null, token: '1' });
  });

  it('stops the work and resigns on shutdown', async () => {
    const { election, work, metrics } = setup();
    work.blockUntilAbort = true;
    election.elect(3n);
    await vi.waitFor(() => expect(work.calls).toEqual([3n]));
    await leadership!.shutdown();
    expect(work.aborted).toBe(1);
    expect(election.resigned).toBe(1);
    expect(sample(await metrics(), 'billing_leader_demotions_total', { reason: 'resigned' })).toBe(1);
  });
});
