import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { AppError } from '@sdl/errors';
import type { Logger } from 'pino';
import { LockErrors } from './lock-errors.js';
import type { Lock, Redlock } from './redlock.js';

/**
 * Why a keeper stopped holding its lock: stable, fit for a metric label. `extend_failed`: the
 * instances said the lock is gone (no majority can hold its token any more); `expired`: its validity
 * ran out on the local clock before an extension landed; `stopped`: stop().
 */
export type LockLossReason = 'extend_failed' | 'expired' | 'stopped';

export interface LockKeeperOptions {
  readonly redlock: Redlock;
  readonly resource: string;
  readonly ttlMs: number;
  /** Extend this often while held, ms (default ttl/3). */
  readonly extendEveryMs?: number;
  /** Try again this soon after an extension round that got too few answers, ms (default ttl/12). */
  readonly extendRetryMs?: number;
  /** Pause between acquisition attempts while another holds the lock, ms (default ttl/3, plus up to 20 % jitter). */
  readonly retryMs?: number;
  readonly logger: Logger;
}

interface LockKeeperEvents {
  acquired: [lock: Lock];
  extended: [lock: Lock];
  /** An extension round failed without proving the lock gone; the keeper still holds it while valid. */
  extendFailed: [err: unknown];
  lost: [reason: LockLossReason];
}

/**
 * Holds one lock for as long as it can: acquires it (retrying while another holds it), extends it
 * every ttl/3, and reports `lost` when the instances say it is gone or its validity runs out on the
 * local monotonic clock (a stalled event loop, instances that stopped answering), then goes back to
 * acquiring. An extension round that merely got too few answers in time (a busy machine, one slow
 * instance) does not end the hold: the lock is still valid, and the round is retried every
 * `extendRetryMs` until one lands or the validity runs out. `held` is the check to make right
 * before acting under the lock.
 */
export class LockKeeper extends EventEmitter<LockKeeperEvents> {
  readonly #o: Required<Omit<LockKeeperOptions, 'logger'>>;
  readonly #log: Logger;
  #lock: Lock | undefined;
  #timer: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #running = false;

  constructor(options: LockKeeperOptions) {
    super();
    const third = Math.max(1, Math.floor(options.ttlMs / 3));
    const twelfth = Math.max(1, Math.floor(options.ttlMs / 12));
    this.#o = { extendEveryMs: third, extendRetryMs: twelfth, retryMs: third, ...options };
    this.#log = options.logger.child({ component: 'lock-keeper', resource: options.resource });
  }

  /** True while the lock is held and still valid by the local monotonic clock. */
  get held(): boolean {
    return this.#lock !== undefined && performance.now() < this.#lock.validUntil;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops trying, waits for the round in flight, and releases the lock if held (`lost: stopped`). */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#current;
    const lock = this.#lock;
    if (lock === undefined) return;
    this.#lose('stopped');
    await this.#o.redlock.release(lock);
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#current = this.#step().finally(() => (this.#current = undefined));
    }, delayMs);
    this.#timer.unref();
  }

  async #step(): Promise<void> {
    const { redlock, resource, ttlMs, extendEveryMs, extendRetryMs, retryMs } = this.#o;
    const lock = this.#lock;
    try {
      if (lock === undefined) {
        const acquired = await redlock.acquire(resource, ttlMs, { retryCount: 0 });
        // Stopped meanwhile: hand it straight back rather than announce a lock nobody will keep.
        if (!this.#running) return void (await redlock.release(acquired));
        this.#hold(acquired);
        this.#log.info({ votes: acquired.votes }, 'lock acquired');
        this.emit('acquired', acquired);
      } else {
        const extended = await redlock.extend(lock, ttlMs);
        // Declared lost (expired) while the extension was in flight: listeners already stopped
        // acting, so give it back and start over instead of holding it without telling them.
        if (this.#lock === lock) {
          this.#hold(extended);
          this.emit('extended', extended);
        } else {
          await redlock.release(extended);
        }
      }
      this.#schedule(extendEveryMs);
    } catch (err) {
      if (lock === undefined || this.#lock !== lock) {
        this.#log.debug({ err }, 'lock not acquired; retrying');
      } else if (err instanceof AppError && err.code === LockErrors.notExtended.code) {
        this.#log.warn({ err }, 'lock extension refused; lock lost');
        this.#lose(this.held ? 'extend_failed' : 'expired');
      } else {
        // Still ours until validUntil (the expiry timer ends the hold if no round lands by then).
        this.#log.warn({ err }, 'lock extension unconfirmed; holding while valid and retrying');
        this.emit('extendFailed', err);
        this.#schedule(extendRetryMs);
        return;
      }
      this.#schedule(retryMs * (1 + Math.random() * 0.2));
    }
  }

  #hold(lock: Lock): void {
    this.#lock = lock;
    clearTimeout(this.#expiry);
    this.#expiry = setTimeout(
      () => {
        if (this.#lock !== lock) return;
        this.#log.warn('lock validity ran out before it was extended; lock lost');
        this.#lose('expired');
        // Whatever instances still carry the token would only delay the next holder.
        void this.#o.redlock.release(lock);
      },
      Math.max(0, lock.validUntil - performance.now()),
    );
    this.#expiry.unref();
  }

  #lose(reason: LockLossReason): void {
    clearTimeout(this.#expiry);
    this.#lock = undefined;
    this.emit('lost', reason);
  }
}

/**
 * Keeps `resource` locked through `redlock` (extends every ttl/3, and every ttl/12 after a round
 * without enough answers; acquires every ttl/3 + jitter).
 */
export function createLockKeeper(options: LockKeeperOptions): LockKeeper {
  return new LockKeeper(options);
}
