import type { Redis } from '@sdl/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedlock, type Lock } from '../src/index.js';
import { codeOf, logger, startRedisTrio, type RedisTrio } from './helpers.js';

// Redlock against three real Redis servers. The last block stops servers, so it runs last.
describe('Redlock over three Redis instances', () => {
  let trio: RedisTrio;
  let clientsA: Redis[];
  let clientsB: Redis[];
  beforeAll(async () => {
    trio = await startRedisTrio();
    clientsA = await trio.connect();
    clientsB = await trio.connect();
  });
  afterAll(() => trio?.stop());

  const redlock = (clients: Redis[], extra: { instanceTimeoutMs?: number; retryCount?: number } = {}) =>
    createRedlock({ clients, instanceTimeoutMs: 500, retryDelayMs: 50, retryJitterMs: 50, logger, ...extra });
  const tokensOf = (resource: string) => Promise.all(clientsA.map((c) => c.get(resource)));

  it('lets exactly one of two simultaneous contenders win, every time', async () => {
    const a = redlock(clientsA);
    const b = redlock(clientsB);
    for (let round = 0; round < 10; round++) {
      const resource = `exclusive:${round}`;
      const results = await Promise.allSettled([
        a.acquire(resource, 10_000, { retryCount: 0 }),
        b.acquire(resource, 10_000, { retryCount: 0 }),
      ]);
      const won = results.filter((r): r is PromiseFulfilledResult<Lock> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect((lost?.reason as { code?: string }).code).toBe('LOCK_ERR_NOT_ACQUIRED');
      // The loser released its minority: every instance holds the winner's token or nothing.
      const winner = won[0]!.value;
      expect(winner.votes).toBeGreaterThanOrEqual(2);
      expect(winner.validityMs).toBeGreaterThan(0);
      for (const token of await tokensOf(resource)) expect([winner.token, null]).toContain(token);
    }
  });

  it('hands the lock to a retrying contender once the holder releases it', async () => {
    const holder = await redlock(clientsA).acquire('handover', 10_000);
    const waiting = redlock(clientsB, { retryCount: 1000 }).acquire('handover', 10_000);
    expect(
      await redlock(clientsB)
        .acquire('handover', 10_000, { retryCount: 0 })
        .catch(() => 'busy'),
    ).toBe('busy');
    expect(await redlock(clientsA).release(holder)).toBe(3);
    const next = await waiting;
    expect(await tokensOf('handover')).toEqual([next.token, next.token, next.token]);
  });

  it('lets only the owner extend or release; extend pushes the expiry out on every instance', async () => {
    const owner = redlock(clientsA);
    const other = redlock(clientsB);
    const lock = await owner.acquire('owned', 2000);
    const forged: Lock = { ...lock, token: 'not-the-owner' };
    expect(await other.release(forged)).toBe(0);
    expect(await codeOf(other.extend(forged, 60_000))).toBe('LOCK_ERR_NOT_EXTENDED');
    expect(await tokensOf('owned')).toEqual([lock.token, lock.token, lock.token]);

    const extended = await owner.extend(lock, 60_000);
    expect(extended.token).toBe(lock.token);
    expect(extended.validUntil).toBeGreaterThan(lock.validUntil);
    for (const ttl of await Promise.all(clientsA.map((c) => c.pttl('owned')))) expect(ttl).toBeGreaterThan(2000);
    expect(await owner.release(extended)).toBe(3);
    expect(await tokensOf('owned')).toEqual([null, null, null]);
  });

  it('expires: a contender gets it after the TTL, and the old holder can no longer extend it', async () => {
    const lock = await redlock(clientsA).acquire('expiring', 300);
    const contender = redlock(clientsB);
    const next = await vi.waitFor(() => contender.acquire('expiring', 10_000, { retryCount: 0 }), {
      timeout: 10_000,
      interval: 50,
    });
    expect(next.token).not.toBe(lock.token);
    expect(await codeOf(redlock(clientsA).extend(lock, 10_000))).toBe('LOCK_ERR_NOT_EXTENDED');
    expect(await tokensOf('expiring')).toEqual([next.token, next.token, next.token]);
  });

  it('bounds a paused instance by the per-instance timeout and still acquires with the other two', async () => {
    // The clients' own command timeout is far longer: only Redlock's per-instance timeout bounds the wait.
    const patient = await trio.connect(30_000);
    const lockService = redlock(patient, { instanceTimeoutMs: 300 });
    await trio.pause(2);
    try {
      // Granted at all proves the wait was bounded: a lock whose round outlasts its 10 s TTL is
      // refused, and only the 300 ms per-instance timeout (not the paused instance's 30 s client
      // timeout) keeps the round short. How long it takes: bench/degraded/fail-fast.ts.
      const lock = await lockService.acquire('paused', 10_000, { retryCount: 0 });
      expect(lock.votes).toBe(2);
      expect(lock.validityMs).toBeGreaterThan(0);
    } finally {
      await trio.unpause(2);
    }
  });

  describe('with instances stopped', () => {
    it('acquires with one of three instances down', async () => {
      await trio.servers[2]!.stop();
      const lock = await redlock(clientsA).acquire('one-down', 10_000);
      expect(lock.votes).toBe(2);
      expect(await redlock(clientsA).release(lock)).toBe(2);
    });

    it('fails with two of three down, after its bounded number of attempts', async () => {
      await trio.servers[1]!.stop();
      const lockService = redlock(clientsA, { retryCount: 2 });
      // Gives up after retryCount + 1 attempts with one vote each (how long: bench/degraded/fail-fast.ts).
      const refused = await lockService.acquire('two-down', 10_000).then(
        () => undefined,
        (err: { code?: string; details?: unknown }) => err,
      );
      expect(refused).toMatchObject({
        code: 'LOCK_ERR_NOT_ACQUIRED',
        details: { resource: 'two-down', attempts: 3, votes: 1, quorum: 2 },
      });
    });
  });
});
