import { describe, expect, it, vi } from 'vitest';
import { count, docker, observeFor, recordingLogger, withEtcd } from './helpers.js';

const LOST = 'registration lease lost; registering again';

describe('register', () => {
  const { coords, containerId } = withEtcd();

  it('puts the key under a lease and deletes it on revoke', async () => {
    const node = coords.make();
    const observer = coords.make();
    const registration = await node.register('/sdl/test/reg/a', '{"id":"a"}', 5);
    expect(registration.key).toBe('/sdl/test/reg/a');
    expect(await observer.get('/sdl/test/reg/a')).toBe('{"id":"a"}');
    await registration.revoke();
    expect(await observer.get('/sdl/test/reg/a')).toBeUndefined();
  });

  it('keeps the key past its TTL, and lets it lapse once keep-alives stop', async () => {
    const node = coords.make();
    const observer = coords.make();
    await node.register('/sdl/test/reg/b', 'b', 2);
    await observeFor(3000);
    expect(await observer.get('/sdl/test/reg/b')).toBe('b');

    await node.close();
    // Nothing revoked it (as when a process dies): the key is still there, and goes once etcd
    // expires the lease (how long that takes: bench/coord/handover.ts).
    expect(await observer.get('/sdl/test/reg/b')).toBe('b');
    await vi.waitFor(async () => expect(await observer.get('/sdl/test/reg/b')).toBeUndefined(), {
      timeout: 30_000,
      interval: 50,
    });
  });

  it('rejects when etcd cannot be reached, and leaves no retry loop behind', async () => {
    const { logger, lines } = recordingLogger();
    const dead = coords.make({ logger, endpoint: 'http://127.0.0.1:1' });
    await expect(dead.register('/sdl/test/reg/c', 'c', 2)).rejects.toThrow();
    const logged = lines.length;
    await observeFor(2500);
    expect(lines.length).toBe(logged);
  });

  it('registers again after an etcd outage longer than the lease, with one retry loop', async () => {
    const { logger, lines } = recordingLogger();
    const node = coords.make({ logger });
    const observer = coords.make();
    await node.register('/sdl/test/reg/d', 'd', 2);
    // The first registration logs 'registered' too: only a later one proves the re-registration.
    const registeredBefore = count(lines, 'registered');
    await docker('pause', containerId());
    try {
      // etcd3 gives the lease up after 2 x TTL without an answer; from then on it retries.
      await vi.waitFor(() => expect(count(lines, LOST)).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 100 });
      const before = count(lines, LOST);
      await observeFor(4000);
      // One loop retries at most once a second; duplicated loops would double every round.
      expect(count(lines, LOST) - before).toBeLessThanOrEqual(5);
    } finally {
      await docker('unpause', containerId());
    }
    await vi.waitFor(() => expect(count(lines, 'registered')).toBeGreaterThan(registeredBefore), {
      timeout: 20_000,
      interval: 100,
    });
    expect(await observer.get('/sdl/test/reg/d')).toBe('d');
  });
});
