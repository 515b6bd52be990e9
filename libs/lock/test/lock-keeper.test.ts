import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLockKeeper, createRedlock, type LockKeeper, type LockLossReason } from '../src/index.js';
import { logger, startRedisTrio, type RedisTrio } from './helpers.js';

describe('LockKeeper over three Redis instances', () => {
  let trio: RedisTrio;
  beforeAll(async () => {
    trio = await startRedisTrio();
  });
  afterAll(() => trio?.stop());

  /** A keeper with its own clients (a node of its own), and the loss reasons it reported. */
  const keeper = async (resource: string, ttlMs: number) => {
    const clients = await trio.connect();
    const redlock = createRedlock({ clients, instanceTimeoutMs: 500, logger });
    const k = createLockKeeper({ redlock, resource, ttlMs, logger });
    const losses: LockLossReason[] = [];
    k.on('lost', (reason) => losses.push(reason));
    k.start();
    return { keeper: k, clients, losses };
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

  it('reports the loss when its clients die, and another node takes over after the TTL', async () => {
    const a = await keeper('keeper:crash', 1200);
    await vi.waitFor(() => expect(a.keeper.held).toBe(true), { timeout: 10_000 });
    const b = await keeper('keeper:crash', 1200);
    // A crash as the lock sees it: no release, no more extensions.
    for (const c of a.clients) c.disconnect();
    await vi.waitFor(() => expect(a.losses).toEqual(['extend_failed']), { timeout: 10_000 });
    expect(a.keeper.held).toBe(false);
    await vi.waitFor(() => expect(b.keeper.held).toBe(true), { timeout: 10_000 });
    await Promise.all([a.keeper.stop(), b.keeper.stop()]);
  });
});
