import type { RedisPersistence } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedlock, type Lock } from '../src/index.js';
import { codeOf, logger, startRedisTrio, type RedisTrio } from './helpers.js';

const RESOURCE = 'relay:0';
// Long enough to outlast a restart on a loaded machine: the first holder must still be valid at the end.
const TTL_MS = 300_000;

// The Redlock hazard of a lock server that forgets (Kleppmann's "How to do distributed locking";
// antirez's answer: fsync every write, or delay the restart by one TTL). Client A holds the lock on
// Redis 1 and 2; Redis 2 crashes and comes back; client B asks. Without persistence Redis 2 is empty
// and votes for B with Redis 3: two holders of a valid lock. With aof-always Redis 2 still holds A's
// key and B is refused. What still keeps the outbox correct when two relays overlap: FOR UPDATE SKIP
// LOCKED and the consumers' de-dup by event id (services/api/test/outbox/two-relays.integration.test.ts);
// billing does not rely on Redlock (its fence is the etcd leader's token, billing-leader's fencing test).
describe('a Redlock voter restarted while a lock is held', () => {
  const trios = new Map<RedisPersistence, RedisTrio>();
  // Both trios start before the tests (a hook's time limit, not a test's: six containers on two cores).
  beforeAll(async () => {
    const modes: RedisPersistence[] = ['none', 'aof-always'];
    const started = await Promise.allSettled(modes.map((mode) => startRedisTrio(mode)));
    started.forEach((r, i) => r.status === 'fulfilled' && trios.set(modes[i]!, r.value));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  afterAll(() => Promise.all([...trios.values()].map((t) => t.stop())));

  const redlock = (clients: Parameters<typeof createRedlock>[0]['clients']) =>
    createRedlock({ clients, instanceTimeoutMs: 5000, logger });

  it.concurrent.each<[RedisPersistence, string]>([
    ['none', 'votes again: a second client holds the lock while the first still does'],
    ['aof-always', 'keeps its vote: the second client is refused'],
  ])(
    'with persistence %s it %s',
    async (mode) => {
      const trio = trios.get(mode)!;
      const a = await trio.connect(5000);
      // Redis 3 was out of A's reach when it locked (here: a stale entry of another client).
      await a[2]!.set(RESOURCE, 'someone-else', 'PX', TTL_MS);
      const first = await redlock(a).acquire(RESOURCE, TTL_MS, { retryCount: 0 });
      expect(first.votes).toBe(2);
      await a[2]!.del(RESOURCE);

      await trio.servers[1]!.crashRestart();
      const b = await trio.connect(5000);
      let second: Lock | undefined;
      const code = await codeOf(
        redlock(b)
          .acquire(RESOURCE, TTL_MS, { retryCount: 0 })
          .then((l) => (second = l)),
      );
      // A never lost its lock as far as it can tell: its validity runs for the whole TTL.
      expect(performance.now()).toBeLessThan(first.validUntil);
      const tokens = await Promise.all(b.map((c) => c.get(RESOURCE)));

      if (mode === 'none') {
        expect(code).toBeUndefined();
        expect(second!.votes).toBe(2);
        expect(tokens).toEqual([first.token, second!.token, second!.token]);
      } else {
        expect(code).toBe('LOCK_ERR_NOT_ACQUIRED');
        // B released the minority it got on Redis 3; Redis 2 came back with A's key (and its expiry).
        expect(tokens).toEqual([first.token, first.token, null]);
        expect(await b[1]!.pttl(RESOURCE)).toBeGreaterThan(0);
      }
    },
    120_000,
  );
});
