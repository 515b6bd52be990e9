import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';
import { abortable, waitForDelete } from './key-watch.js';
import { createLeaseClock, type LeaseClock } from './lease-clock.js';

export interface CampaignOptions {
  readonly client: Etcd3;
  readonly logger: Logger;
  /** Election name; candidates live under `/sdl/elections/<name>/`. */
  readonly election: string;
  /** This candidate's id, shown as the leader's value. */
  readonly candidate: string;
  /** Lease TTL in seconds (default 5). */
  readonly ttlSeconds?: number;
  /** Safety margin before the lease's possible expiry at which a leader stops acting, ms (default 1000). */
  readonly marginMs?: number;
  /** Pause before campaigning again after a failed attempt, ms (default 1000). */
  readonly retryMs?: number;
}

/** Why a leader stopped leading: stable codes, fit for a metric label. */
export type DemotionReason =
  | 'resigned' // resign()
  | 'released' // release() or the coordinator closed
  | 'lease-lost' // etcd says the lease is gone
  | 'lease-lapsed' // no keep-alive answered in time: the lease may have expired
  | 'key-deleted' // the leader key was deleted by someone else
  | 'campaign-error'; // an etcd call failed while campaigning

type State = 'campaigning' | 'leader' | 'stopped';

// One lease and one key: every attempt is abandoned as a whole (aborted, lease revoked or left
// to lapse) and replaced by a fresh one, so nothing from an old attempt can act on the new one.
interface Attempt {
  readonly lease: Lease;
  readonly clock: LeaseClock;
  readonly abort: AbortController;
  done: boolean;
}

/**
 * etcd's election recipe with a fencing token and a lease clock.
 *
 * Each candidate puts `<prefix>/<lease id>` under its own lease; the key with the lowest create
 * revision leads, and that create revision is the fencing token (it only grows across leaders).
 * A leader holds only while `now < last keep-alive sent + TTL - margin` on a monotonic clock, so
 * it stops acting before etcd could have handed leadership to someone else, even when it cannot
 * reach etcd to learn that its lease is gone.
 *
 * Events: `elected` (token: bigint), `demoted` (reason: DemotionReason).
 */
export class Campaign extends EventEmitter<{ elected: [bigint]; demoted: [DemotionReason] }> {
  readonly #client: Etcd3;
  readonly #log: Logger;
  readonly #prefix: string;
  readonly #candidate: string;
  readonly #ttlSeconds: number;
  readonly #marginMs: number;
  readonly #retryMs: number;
  #state: State = 'campaigning';
  #attempt: Attempt | undefined;
  #token: bigint | undefined;
  #validityTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: CampaignOptions) {
    super();
    this.#client = options.client;
    this.#log = options.logger.child({ component: 'campaign', election: options.election });
    this.#prefix = `/sdl/elections/${options.election}/`;
    this.#candidate = options.candidate;
    this.#ttlSeconds = options.ttlSeconds ?? 5;
    this.#marginMs = options.marginMs ?? 1000;
    this.#retryMs = options.retryMs ?? 1000;
    if (this.#marginMs >= this.#ttlSeconds * 1000) throw new RangeError('marginMs must be less than the TTL');
    // Listeners are attached by the caller after construction; start on the next tick.
    this.#retryTimer = setTimeout(() => this.#startAttempt(), 0);
  }

  /** True only while leading and the lease cannot have expired yet. */
  get isLeader(): boolean {
    return this.#state === 'leader' && this.#attempt !== undefined && this.#attempt.clock.valid();
  }

  /** The fencing token while leading (create revision of the leader key). */
  get token(): bigint | undefined {
    return this.isLeader ? this.#token : undefined;
  }

  /** Current leader's candidate id, whoever it is (undefined when nobody leads). */
  async leader(): Promise<string | undefined> {
    const res = await this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').limit(1).exec();
    return res.kvs[0]?.value.toString();
  }

  /** Steps down and leaves the election (revokes the lease so another leads at once). */
  async resign(): Promise<void> {
    const lease = this.#stop('resigned');
    await lease?.revoke().catch((err: unknown) => this.#log.warn({ err }, 'revoke failed; the lease will lapse'));
  }

  /**
   * Leaves the election without revoking: keep-alives stop and the key lapses after the TTL, as
   * if the process had died (the coordinator's close() does this).
   */
  release(): void {
    this.#stop('released')?.release();
  }

  #stop(reason: 'resigned' | 'released'): Lease | undefined {
    if (this.#state === 'stopped') return undefined;
    this.#stepDown(reason);
    this.#state = 'stopped';
    clearTimeout(this.#retryTimer);
    const attempt = this.#attempt;
    this.#attempt = undefined;
    if (attempt === undefined) return undefined;
    attempt.done = true;
    attempt.abort.abort(new Error(`campaign ${reason}`));
    return attempt.lease;
  }

  #startAttempt(): void {
    if (this.#state === 'stopped') return;
    const ttlMs = this.#ttlSeconds * 1000;
    const sentAt = performance.now();
    const lease = this.#client.lease(this.#ttlSeconds);
    const attempt: Attempt = {
      lease,
      clock: createLeaseClock(lease, ttlMs, this.#marginMs),
      abort: new AbortController(),
      done: false,
    };
    this.#attempt = attempt;
    lease.on('lost', (err) => this.#fail(attempt, 'lease-lost', err));
    this.#run(attempt, sentAt).catch((err: unknown) => this.#fail(attempt, 'campaign-error', err));
  }

  async #run(attempt: Attempt, sentAt: number): Promise<void> {
    const { lease, abort } = attempt;
    const leaseId = await abortable(lease.grant(), abort.signal);
    attempt.clock.granted(sentAt);
    const key = `${this.#prefix}${leaseId}`;
    await abortable(lease.put(key).value(this.#candidate).exec(), abort.signal);

    for (;;) {
      const all = await abortable(
        this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').exec(),
        abort.signal,
      );
      const index = all.kvs.findIndex((kv) => kv.key.toString() === key);
      const own = all.kvs[index];
      if (own === undefined) throw new Error('own election key vanished');
      const nextRevision = String(BigInt(all.header.revision) + 1n);
      if (index === 0) {
        this.#becomeLeader(attempt, BigInt(own.create_revision));
        // Someone deleting the key (an operator, a bug) ends the reign as surely as a lost lease.
        waitForDelete(this.#client, key, nextRevision, abort.signal).then(
          () => this.#fail(attempt, 'key-deleted'),
          () => undefined,
        );
        return;
      }
      // Waiting on the predecessor only (not the leader) avoids a thundering herd on handover.
      const predecessor = all.kvs[index - 1]!.key.toString();
      await waitForDelete(this.#client, predecessor, nextRevision, abort.signal);
    }
  }

  #becomeLeader(attempt: Attempt, token: bigint): void {
    if (attempt.done) return;
    if (!attempt.clock.valid()) {
      // Keep-alives lapsed while we waited: the lease may be gone, so start over with a new one.
      this.#fail(attempt, 'lease-lapsed');
      return;
    }
    this.#state = 'leader';
    this.#token = token;
    this.#log.info({ token: String(token), candidate: this.#candidate }, 'elected leader');
    this.#checkValidity(attempt);
    this.emit('elected', token);
  }

  #checkValidity(attempt: Attempt): void {
    clearTimeout(this.#validityTimer);
    if (this.#state !== 'leader' || attempt !== this.#attempt) return;
    if (!attempt.clock.valid()) {
      this.#fail(attempt, 'lease-lapsed');
      return;
    }
    const remaining = attempt.clock.deadline() - performance.now();
    this.#validityTimer = setTimeout(() => this.#checkValidity(attempt), Math.max(1, Math.min(remaining, 250)));
    this.#validityTimer.unref();
  }

  #stepDown(reason: DemotionReason): void {
    clearTimeout(this.#validityTimer);
    if (this.#state !== 'leader') return;
    this.#state = 'campaigning';
    this.#token = undefined;
    this.#log.warn({ reason }, 'no longer leader');
    this.emit('demoted', reason);
  }

  // Abandons the attempt (at most once) and campaigns again with a fresh lease after a pause.
  #fail(attempt: Attempt, reason: DemotionReason, err?: unknown): void {
    if (attempt.done || attempt !== this.#attempt) return;
    attempt.done = true;
    attempt.abort.abort(new Error(reason));
    this.#log.warn({ err, reason }, 'campaign attempt failed; campaigning again');
    this.#stepDown(reason);
    // Revoking hands leadership over at once when etcd is reachable; otherwise the lease lapses.
    attempt.lease.revoke().catch(() => undefined);
    this.#attempt = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#startAttempt(), this.#retryMs);
  }
}
