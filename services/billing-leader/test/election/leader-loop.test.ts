import { createLogger } from '@sdl/logging';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLeaderLoop, type LeaderLoop } from '../../src/election/leader-loop.js';
import { observeFor } from '../support/helpers.js';
import { recordingWork } from '../support/fakes.js';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('createLeaderLoop', () => {
  let loop: LeaderLoop | undefined;
  afterEach(() => loop?.stop());

  it('runs the work every tick with the token it was started with', async () => {
    const lease = { isLeader: true, token: 7n as bigint | undefined };
    const work = recordingWork();
    let ticks = 0;
    loop = createLeaderLoop({ lease, work, tickMs: 10, logger, onTick: () => ticks++ });
    loop.start(7n);
    expect(loop.running).toBe(true);
    await vi.waitFor(() => expect(work.calls.length).toBeGreaterThanOrEqual(3));
    expect(new Set(work.calls)).toEqual(new Set([7n]));
    expect(ticks).toBe(work.calls.length);
  });

  it('skips ticks while the lease no longer vouches for the token, before any demoted event', async () => {
    const lease = { isLeader: true, token: 7n as bigint | undefined };
    const work = recordingWork();
    loop = createLeaderLoop({ lease, work, tickMs: 10, logger });
    loop.start(7n);
    await vi.waitFor(() => expect(work.calls.length).toBeGreaterThanOrEqual(1));
    lease.isLeader = false;
    lease.token = undefined;
    const calls = work.calls.length;
    await observeFor(100);
    expect(work.calls.length).toBeLessThanOrEqual(calls + 1); // at most the tick already past its check
    const settled = work.calls.length;
    await observeFor(100);
    expect(work.calls.length).toBe(settled);
    // A newer leader's token is not ours either.
    lease.isLeader = true;
    lease.token = 8n;
    await observeFor(100);
    expect(work.calls.length).toBe(settled);
  });

  it('aborts the running tick at once on stop and runs no more', async () => {
    const lease = { isLeader: true, token: 3n as bigint | undefined };
    const work = recordingWork();
    work.blockUntilAbort = true;
    loop = createLeaderLoop({ lease, work, tickMs: 10, logger });
    loop.start(3n);
    await vi.waitFor(() => expect(work.calls).toEqual([3n]));
    const stopped = loop.stop();
    expect(loop.running).toBe(false);
    await stopped;
    expect(work.aborted).toBe(1);
    await observeFor(50);
    expect(work.calls).toEqual([3n]);
  });

  it('survives a failing tick', async () => {
    const lease = { isLeader: true, token: 1n as bigint | undefined };
    let calls = 0;
    loop = createLeaderLoop({
      lease,
      work: {
        async runOnce() {
          calls++;
          throw new Error('boom');
        },
      },
      tickMs: 10,
      logger,
    });
    loop.start(1n);
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3));
  });
});
