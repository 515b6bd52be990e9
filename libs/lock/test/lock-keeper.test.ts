import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLockKeeper, createRedlock, type LockKeeper, type LockLossReason } from '../src/index.js';
import { loadCpu } from '@sdl/testing';
import { logger, startRedisTrio, type RedisTrio } from './helpers.js';

describe('LockKeeper over three Redis instances', () => {
  let trio: RedisTrio;
  beforeAll(async () => {
    trio = await startRedisTrio();
  });
  afterAll(() => trio?.stop());

  /** A keeper with its own clients (a node of its own), and the loss reasons it reported. */
  const keeper = async (resource: string, ttlMs: number, instanceTimeoutMs = 500) => {
    const clients = await trio.connect();
    const redlock = createRedlock({ clients, instanceTimeoutMs, logger });
    const k = createLockKeeper({ redlock, resource, ttlMs, logger });
    const made = { keeper: k, clients, losses: [] as LockLossReason[], failedRounds: 0 };
    k.on('lost', (reason) => made.losses.push(reason));
    k.on('extendFailed', () => made.failedRounds++);
    k.start();
    return made;
  };
  const holders = (...keepers: LockKeeper[]) => keepers.filter((k) => k.held).length;

  it('keeps the lock past its TTL by extending it, and hands it over on stop', async () => {
    const a = await keeper('keeper:graceful', 1500);
    await vi.waitFor(() => expect(a.keeper.held).toBe(true), { timeout: 10_000 });
    const b = await keeper('keeper:graceful', 1500);
    // Four extensions (every ttl/3) outlast the TTL: only they keep `a` the holder, and `b` never gets in.
    let extensions = 0;
    a.keeper.on('extended', () => extensions++);
    const token = await a.clients[0]!.get('keeper:graceful');
    await vi.waitFor(() => expect(extensions).toBeGreaterThanOrEqual(4), { timeout: 20_000 });
    expect(a.keeper.held).toBe(true);
    expect(b.keeper.held).toBe(false);
    expect(await Promise.all(a.clients.map((c) => c.get('keeper:graceful')))).toEqual([token, token, token]);

    await a.keeper.stop();
    expect(a.losses).toEqual(['stopped']);
    await vi.waitFor(() => expect(b.keeper.held).toBe(true), { timeout: 10_000 });
    expect(holders(a.keeper, b.keeper)).toBe(1);
    await b.keeper.stop();
  });

  it('keeps a valid lock through extension rounds that get no answer, and extends it once they do', async () => {
    // One instance stays paused throughout; a second one freezes for longer than the extension
    // interval but well within the lock's validity. A round without a majority of answers proves
    // nothing about the lock (the keys still carry the holder's token), so it must not end the hold.
    const a = await keeper('keeper:slow-round', 6000);
    await vi.waitFor(() => expect(a.keeper.held).toBe(true), { timeout: 10_000 });
    const b = await keeper('keeper:slow-round', 6000);
    let extensions = 0;
    a.keeper.on('extended', () => extensions++);
    await trio.pause(0);
    try {
      await vi.waitFor(() => expect(extensions).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 10 });
      const before = extensions;
      await trio.pause(1);
      // No extension can land while only one instance answers: at least one round fails in here.
      await vi.waitFor(() => expect(a.failedRounds).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 10 });
      expect(extensions).toBe(before);
      await trio.unpause(1);
      await vi.waitFor(() => expect(extensions).toBeGreaterThan(before), { timeout: 5000, interval: 10 });
      expect(a.losses).toEqual([]);
      expect(a.keeper.held).toBe(true);
      expect(b.keeper.held).toBe(false);
    } finally {
      // Unpausing a server that is not paused fails; either way both answer again after this.
      await trio.unpause(1).catch(() => undefined);
      await trio.unpause(0).catch(() => undefined);
    }
    await Promise.all([a.keeper.stop(), b.keeper.stop()]);
  });

  it('keeps one holder, never lost, while the machine is saturated (compose settings: 5 s TTL, 100 ms per instance)', async () => {
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map(() => keeper('keeper:busy', 5000, 100)));
    const keepers = nodes.map((n) => n.keeper);
    await vi.waitFor(() => expect(holders(...keepers)).toBe(1), { timeout: 10_000, interval: 10 });
    const first = keepers.findIndex((k) => k.held);
    const load = loadCpu({ maxMs: 30_000 });
    const seen = new Set<number>();
    let most = 0;
    try {
      // Three TTLs of sampling while each extension round competes with the burners for the CPU.
      let extensions = 0;
      keepers[first]!.on('extended', () => extensions++);
      await vi.waitFor(
        () => {
          keepers.forEach((k, i) => k.held && seen.add(i));
          most = Math.max(most, holders(...keepers));
          expect(extensions).toBeGreaterThanOrEqual(9);
        },
        { timeout: 25_000, interval: 10 },
      );
    } finally {
      await load.stop();
    }
    expect(most).toBe(1);
    expect([...seen]).toEqual([first]);
    expect(nodes.flatMap((n) => n.losses)).toEqual([]);
    await Promise.all(keepers.map((k) => k.stop()));
  });

  it('reports the loss when the instances no longer hold its token, without waiting for the validity', async () => {
    const a = await keeper('keeper:refused', 9000);
    await vi.waitFor(() => expect(a.keeper.held).toBe(true), { timeout: 10_000 });
    // Every instance forgets the key (an operator, or instances restarted without persistence):
    // the next extension is refused everywhere, which proves the lock gone although still "valid".
    await Promise.all(a.clients.map((c) => c.del('keeper:refused')));
    // 'expired' instead would mean the keeper ignored the refusals and held on until the validity ran out.
    await vi.waitFor(() => expect(a.losses).toEqual(['extend_failed']), { timeout: 20_000, interval: 50 });
    expect(a.keeper.held).toBe(false);
    // ...and it goes back to acquiring.
    await vi.waitFor(() => expect(a.keeper.held).toBe(true), { timeout: 20_000, interval: 50 });
    await a.keeper.stop();
  });

  it('reports the loss when its validity runs out with its clients dead, and another node takes over', async () => {
    const a = await keeper('keeper:crash', 1200);
    await vi.waitFor(() => expect(a.keeper.held).toBe(true), { timeout: 10_000 });
    const b = await keeper('keeper:crash', 1200);
    // A crash as the lock sees it: no release, no more extensions. No instance refuses either,
    // so the hold ends when the validity runs out on the local clock.
    for (const c of a.clients) c.disconnect();
    await vi.waitFor(() => expect(a.losses).toEqual(['expired']), { timeout: 10_000 });
    expect(a.failedRounds).toBeGreaterThanOrEqual(1);
    expect(a.keeper.held).toBe(false);
    await vi.waitFor(() => expect(b.keeper.held).toBe(true), { timeout: 10_000 });
    await Promise.all([a.keeper.stop(), b.keeper.stop()]);
  });
});
