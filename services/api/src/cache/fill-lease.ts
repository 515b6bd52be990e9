import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRedisScript, type Redis, type RedisScript } from '@sdl/redis';

const scriptsDir = new URL('../../src/cache/scripts/', import.meta.url);

/**
 * How one cache fill went: `won` (this node held the lease and read the database), `waited`
 * (another node's fill appeared in the cache), `fallback` (no lease and no value in time, or
 * Redis failed: this node read the database itself), `off` (leases disabled).
 */
export type FillOutcome = 'won' | 'waited' | 'fallback' | 'off';

export interface FillAttempt<R> {
  /** The cache key; the lease is `<key>:fill`. */
  readonly key: string;
  /**
   * Reads the database and stores the answer in the cache. `token` is the lease this filler holds
   * (store with `store`, which refuses once a write has ended the lease); undefined: no lease held
   * (leases off, or a fallback read), so the answer must not be stored unconditionally.
   */
  readonly load: (token: string | undefined) => Promise<R>;
  /** A waiter's view of the cache value once it appears; undefined: unreadable, keep waiting. */
  readonly decode: (raw: string) => R | undefined;
}

export interface FillLeaseOptions {
  readonly redis: Redis;
  /** Lease TTL, ms: the longest a waiter waits for another node's fill; 0 disables leases. */
  readonly leaseMs: number;
  /** Waiters poll the cache with a backoff between these bounds (default 10 and 25 ms). */
  readonly pollMinMs?: number;
  readonly pollMaxMs?: number;
}

/**
 * Cross-node stampede protection: on a miss, `SET <key>:fill <token> NX PX <leaseMs>` (in a
 * script that first re-checks the key, see fill-lease-acquire.lua) elects one filler cluster-wide; the others poll the cache key (and the lease, in one MGET) and serve the
 * value once it appears. A waiter never waits past the lease: when the lease is gone (released
 * without a value, or expired because the holder died or is slow) or Redis fails, it reads the
 * database itself, so the cache can delay a read by at most `leaseMs` and never fail it.
 */
export class FillLease {
  readonly #redis: Redis;
  readonly #leaseMs: number;
  readonly #pollMinMs: number;
  readonly #pollMaxMs: number;
  readonly #acquire: RedisScript;
  readonly #release: RedisScript;
  readonly #store: RedisScript;

  constructor(options: FillLeaseOptions) {
    this.#redis = options.redis;
    this.#leaseMs = options.leaseMs;
    this.#pollMinMs = options.pollMinMs ?? 10;
    this.#pollMaxMs = Math.max(this.#pollMinMs, options.pollMaxMs ?? 25);
    this.#acquire = loadRedisScript('fill-lease-acquire', scriptsDir);
    this.#release = loadRedisScript('fill-lease-release', scriptsDir);
    this.#store = loadRedisScript('fill-lease-store', scriptsDir);
  }

  async fill<R>(attempt: FillAttempt<R>): Promise<{ result: R; outcome: FillOutcome }> {
    if (this.#leaseMs === 0) return { result: await attempt.load(undefined), outcome: 'off' };
    const leaseKey = `${attempt.key}:fill`;
    const token = randomUUID();
    let reply: [string, string?];
    try {
      reply = (await this.#acquire.run(this.#redis, [attempt.key, leaseKey], [token, this.#leaseMs])) as [
        string,
        string?,
      ];
    } catch {
      // No lease without Redis; the caller's cache read has most likely degraded to a bypass too.
      return { result: await attempt.load(undefined), outcome: 'fallback' };
    }
    if (reply[0] === 'value' && reply[1] !== undefined) {
      // Filled by another node since this node's miss.
      const value = attempt.decode(reply[1]);
      return value === undefined
        ? { result: await attempt.load(undefined), outcome: 'fallback' }
        : { result: value, outcome: 'waited' };
    }
    if (reply[0] === 'won') {
      try {
        return { result: await attempt.load(token), outcome: 'won' };
      } finally {
        // Releasing early lets waiters whose value never came (failed load or fill) fall back now.
        await this.#release.run(this.#redis, [leaseKey], [token]).catch(() => undefined);
      }
    }
    const waited = await this.#wait(attempt, leaseKey);
    if (waited !== undefined) return { result: waited, outcome: 'waited' };
    return { result: await attempt.load(undefined), outcome: 'fallback' };
  }

  /** Stores a filled value only while `token` still holds the lease (see fill-lease-store.lua). */
  async store(key: string, token: string, raw: string, ttlSeconds: number): Promise<boolean> {
    return (await this.#store.run(this.#redis, [key, `${key}:fill`], [token, raw, ttlSeconds])) === 1;
  }

  /** The filled value, or undefined once waiting is pointless (lease gone, deadline, Redis error). */
  async #wait<R>(attempt: FillAttempt<R>, leaseKey: string): Promise<R | undefined> {
    const deadline = performance.now() + this.#leaseMs;
    let delay = this.#pollMinMs;
    while (performance.now() < deadline) {
      // Jitter keeps waiters on many nodes from polling in lock step.
      await sleep(Math.min(delay, Math.max(1, deadline - performance.now())) * (0.75 + Math.random() * 0.25));
      let raw: string | null;
      let lease: string | null;
      try {
        [raw, lease] = (await this.#redis.mget(attempt.key, leaseKey)) as [string | null, string | null];
      } catch {
        return undefined;
      }
      if (raw !== null) {
        const value = attempt.decode(raw);
        if (value !== undefined) return value;
      }
      // One MGET sees both keys at once: the holder stores the value before it releases the lease.
      if (lease === null) return undefined;
      delay = Math.min(this.#pollMaxMs, delay * 1.5);
    }
    return undefined;
  }
}

export function createFillLease(options: FillLeaseOptions): FillLease {
  return new FillLease(options);
}
