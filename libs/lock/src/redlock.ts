import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@sdl/errors';
import { loadRedisScript, type Redis } from '@sdl/redis';
import type { Logger } from 'pino';
import { LockErrors } from './lock-errors.js';

const scriptsDir = new URL('../src/scripts/', import.meta.url);

export interface RedlockOptions {
  /** One client per independent Redis (an odd count: 3 or 5); the quorum is floor(N/2)+1. */
  readonly clients: readonly Redis[];
  /** Bound on each instance's answer, ms (default 100); keep it far below the TTL. */
  readonly instanceTimeoutMs?: number;
  /** Clock drift allowed between the instances, as a fraction of the TTL (default 0.01); 2 ms are added. */
  readonly driftFactor?: number;
  /** Attempts after the first one (default 3). */
  readonly retryCount?: number;
  /** Pause between attempts, ms (default 200), plus a random 0..retryJitterMs (default 100). */
  readonly retryDelayMs?: number;
  readonly retryJitterMs?: number;
  readonly logger?: Logger;
}

/** A lock held on a majority of instances. */
export interface Lock {
  readonly resource: string;
  /** Random per acquisition: only its holder can extend or release the lock. */
  readonly token: string;
  /** ttl - elapsed - drift at the time of acquisition (or extension), ms. */
  readonly validityMs: number;
  /** `performance.now()` after which the holder must assume the lock is gone. */
  readonly validUntil: number;
  /** Instances that granted it (at least the quorum). */
  readonly votes: number;
}

export interface AcquireOptions {
  /** Overrides the Redlock's `retryCount` (0: one attempt only). */
  readonly retryCount?: number;
  /** Aborts the waits between attempts. */
  readonly signal?: AbortSignal;
}

/** Rejects with LOCK_ERR_INSTANCE_TIMEOUT when `work` is not settled within `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError(LockErrors.instanceTimeout)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The Redlock algorithm over N independent Redis instances: a lock counts only when a majority
 * granted it AND the time it took, plus an allowance for clock drift, is less than its TTL.
 * It is an efficiency lock: it has no fencing token, so whatever it guards must stay correct when
 * two holders overlap (a paused holder, a clock jump, a restarted instance without persistence).
 */
export class Redlock {
  readonly #clients: readonly Redis[];
  readonly #timeoutMs: number;
  readonly #driftFactor: number;
  readonly #retryCount: number;
  readonly #retryDelayMs: number;
  readonly #retryJitterMs: number;
  readonly #log: Logger | undefined;
  readonly #extend = loadRedisScript('extend', scriptsDir);
  readonly #release = loadRedisScript('release', scriptsDir);

  constructor(options: RedlockOptions) {
    if (options.clients.length === 0) throw new RangeError('Redlock needs at least one Redis client');
    this.#clients = options.clients;
    this.#timeoutMs = options.instanceTimeoutMs ?? 100;
    this.#driftFactor = options.driftFactor ?? 0.01;
    this.#retryCount = options.retryCount ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 200;
    this.#retryJitterMs = options.retryJitterMs ?? 100;
    this.#log = options.logger?.child({ component: 'redlock' });
  }

  /** Instances that must agree: floor(N/2)+1. */
  get quorum(): number {
    return Math.floor(this.#clients.length / 2) + 1;
  }

  /** SET NX PX on every instance; retries with jitter; throws LOCK_ERR_NOT_ACQUIRED when all attempts fail. */
  async acquire(resource: string, ttlMs: number, options: AcquireOptions = {}): Promise<Lock> {
    checkTtl(ttlMs);
    const attempts = (options.retryCount ?? this.#retryCount) + 1;
    const token = randomBytes(16).toString('hex');
    for (let attempt = 1; ; attempt++) {
      const start = performance.now();
      const { votes } = await this.#round((redis) =>
        redis.set(resource, token, 'PX', ttlMs, 'NX').then((reply) => reply === 'OK'),
      );
      const lock = this.#granted(resource, token, ttlMs, start, votes);
      if (lock !== undefined) return lock;
      // A minority (or a late majority) may hold our token: free it now rather than at expiry.
      await this.#releaseEverywhere(resource, token);
      this.#log?.debug({ resource, votes, attempt }, 'lock attempt failed');
      if (attempt >= attempts) {
        throw new AppError(LockErrors.notAcquired, { details: { resource, attempts, votes, quorum: this.quorum } });
      }
      const pause = this.#retryDelayMs + Math.random() * this.#retryJitterMs;
      await sleep(pause, undefined, options.signal === undefined ? {} : { signal: options.signal });
    }
  }

  /**
   * Compare-and-pexpire on every instance: a new validity from now. Throws LOCK_ERR_NOT_EXTENDED
   * (after releasing what is left) when the lock had already expired or so many instances refused
   * that no majority can still hold its token: the lock is gone. Throws LOCK_ERR_EXTEND_UNCONFIRMED
   * (releasing nothing) when too few instances answered in time (slow or unreachable): that proves
   * nothing against the lock, which stays valid until `lock.validUntil`; extend again before then.
   */
  async extend(lock: Lock, ttlMs: number): Promise<Lock> {
    checkTtl(ttlMs);
    const start = performance.now();
    if (start >= lock.validUntil) {
      await this.#releaseEverywhere(lock.resource, lock.token);
      throw new AppError(LockErrors.notExtended, { details: { resource: lock.resource, reason: 'expired' } });
    }
    const { votes, refusals } = await this.#round((redis) =>
      this.#extend.run(redis, [lock.resource], [lock.token, ttlMs]).then((reply) => reply === 1),
    );
    const extended = this.#granted(lock.resource, lock.token, ttlMs, start, votes);
    if (extended !== undefined) return extended;
    const details = { resource: lock.resource, votes, refusals, quorum: this.quorum };
    // An instance that answered "not your token" holds no part of this lock any more; once a
    // majority is out of reach the lock is gone for sure. Anything short of that (a timeout, a
    // dropped connection) leaves the keys where they were: the lock stands until it expires.
    if (refusals > this.#clients.length - this.quorum) {
      await this.#releaseEverywhere(lock.resource, lock.token);
      throw new AppError(LockErrors.notExtended, { details: { ...details, reason: 'refused' } });
    }
    throw new AppError(LockErrors.extendUnconfirmed, { details });
  }

  /** Compare-and-delete on every instance; never throws. Returns how many instances deleted it. */
  async release(lock: Lock): Promise<number> {
    return this.#releaseEverywhere(lock.resource, lock.token);
  }

  async #releaseEverywhere(resource: string, token: string): Promise<number> {
    const { votes } = await this.#round((redis) =>
      this.#release.run(redis, [resource], [token]).then((reply) => reply === 1),
    );
    return votes;
  }

  /**
   * Runs `op` on every instance in parallel, each bounded by the per-instance timeout. `votes`:
   * instances that said yes; `refusals`: instances that answered no (a timeout or an error is neither).
   */
  async #round(op: (redis: Redis) => Promise<boolean>): Promise<{ votes: number; refusals: number }> {
    const results = await Promise.allSettled(this.#clients.map((redis) => withTimeout(op(redis), this.#timeoutMs)));
    const answered = results.filter((r) => r.status === 'fulfilled');
    const votes = answered.filter((r) => r.value).length;
    return { votes, refusals: answered.length - votes };
  }

  #granted(resource: string, token: string, ttlMs: number, start: number, votes: number): Lock | undefined {
    const drift = Math.round(ttlMs * this.#driftFactor) + 2;
    const validityMs = ttlMs - (performance.now() - start) - drift;
    if (votes < this.quorum || validityMs <= 0) return undefined;
    return { resource, token, validityMs, validUntil: start + ttlMs - drift, votes };
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new AppError(LockErrors.badTtl, { details: { ttlMs } });
}

/** A Redlock over `clients` (defaults: 100 ms per instance, drift 1 % + 2 ms, 3 retries of 200 ms + 0..100 ms). */
export function createRedlock(options: RedlockOptions): Redlock {
  return new Redlock(options);
}
