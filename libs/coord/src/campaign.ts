import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';

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
}

type State = 'campaigning' | 'leader' | 'stopped';

/**
 * etcd's election recipe with a fencing token and a lease clock.
 *
 * Each candidate puts `<prefix>/<lease id>` under its own lease; the key with the lowest create
 * revision leads, and that create revision is the fencing token (it only grows across leaders).
 * A leader holds only while `now < last keep-alive + TTL - margin` on a monotonic clock, so it
 * stops acting before etcd could have handed leadership to someone else, even when it cannot
 * reach etcd to learn that its lease is gone.
 *
 * Events: `elected` (token: bigint), `demoted` (reason: string).
 */
export class Campaign extends EventEmitter<{ elected: [bigint]; demoted: [string] }> {
  readonly #options: Required<Omit<CampaignOptions, 'logger' | 'client'>>;
  readonly #client: Etcd3;
  readonly #log: Logger;
  readonly #prefix: string;
  #state: State = 'campaigning';
  #lease: Lease | undefined;
  #lastKeepAlive = 0;
  #token: bigint | undefined;
  #validityTimer: NodeJS.Timeout | undefined;
  #generation = 0;

  constructor(options: CampaignOptions) {
    super();
    this.#client = options.client;
    this.#log = options.logger.child({ component: 'campaign', election: options.election });
    this.#options = {
      election: options.election,
      candidate: options.candidate,
      ttlSeconds: options.ttlSeconds ?? 5,
      marginMs: options.marginMs ?? 1000,
    };
    this.#prefix = `/sdl/elections/${options.election}/`;
    void this.#run(this.#generation);
  }

  /** True only while leading and the lease cannot have expired yet. */
  get isLeader(): boolean {
    return this.#state === 'leader' && performance.now() < this.#leaseDeadline();
  }

  /** The fencing token while leading (create revision of the leader key). */
  get token(): bigint | undefined {
    return this.isLeader ? this.#token : undefined;
  }

  /** Current leader's candidate id, whoever it is. */
  async leader(): Promise<string | undefined> {
    const res = await this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').limit(1).exec();
    return res.kvs[0]?.value.toString();
  }

  /** Steps down and leaves the election (revokes the lease so another leads at once). */
  async resign(): Promise<void> {
    const lease = this.#lease;
    this.#stepDown('resigned');
    this.#state = 'stopped';
    this.#generation++;
    await lease?.revoke().catch((err: unknown) => this.#log.warn({ err }, 'revoke failed'));
  }

  #leaseDeadline(): number {
    return this.#lastKeepAlive + this.#options.ttlSeconds * 1000 - this.#options.marginMs;
  }

  async #run(generation: number): Promise<void> {
    while (this.#state !== 'stopped' && generation === this.#generation) {
      try {
        await this.#campaignOnce(generation);
        return;
      } catch (err) {
        if (generation !== this.#generation) return;
        this.#log.warn({ err }, 'campaign failed; retrying');
        this.#stepDown('campaign error');
        await this.#lease?.revoke().catch(() => undefined);
        this.#lease = undefined;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async #campaignOnce(generation: number): Promise<void> {
    const lease = this.#client.lease(this.#options.ttlSeconds);
    this.#lease = lease;
    const grantedAt = performance.now();
    const leaseId = await lease.grant();
    this.#lastKeepAlive = grantedAt;
    lease.on('keepaliveFired', () => {
      // A keep-alive extends the lease from when it was sent, not when it was answered.
      const sentAt = performance.now();
      lease.once('keepaliveSucceeded', () => {
        this.#lastKeepAlive = Math.max(this.#lastKeepAlive, sentAt);
      });
    });
    lease.on('lost', (err) => {
      if (generation !== this.#generation) return;
      this.#log.warn({ err }, 'lease lost');
      this.#restart('lease lost');
    });
    const key = `${this.#prefix}${leaseId}`;
    await lease.put(key).value(this.#options.candidate);
    const own = await this.#client.get(key).exec();
    const createRevision = BigInt(own.kvs[0]?.create_revision ?? '0');

    for (;;) {
      if (generation !== this.#generation) return;
      const all = await this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').exec();
      const index = all.kvs.findIndex((kv) => kv.key.toString() === key);
      if (index === -1) throw new Error('own election key vanished');
      if (index === 0) {
        this.#becomeLeader(createRevision);
        return;
      }
      const predecessor = all.kvs[index - 1]!.key.toString();
      await this.#waitForDelete(predecessor);
    }
  }

  async #waitForDelete(key: string): Promise<void> {
    const watcher = await this.#client.watch().key(key).create();
    try {
      await new Promise<void>((resolve) => {
        watcher.once('delete', () => resolve());
        // The predecessor may have gone between our read and the watch.
        void this.#client.get(key).exec().then((r) => {
          if (r.kvs.length === 0) resolve();
        });
      });
    } finally {
      await watcher.cancel();
    }
  }

  #becomeLeader(token: bigint): void {
    this.#state = 'leader';
    this.#token = token;
    this.#log.info({ token: String(token), candidate: this.#options.candidate }, 'elected leader');
    this.emit('elected', token);
    this.#checkValidity();
  }

  #checkValidity(): void {
    clearTimeout(this.#validityTimer);
    if (this.#state !== 'leader') return;
    const remaining = this.#leaseDeadline() - performance.now();
    if (remaining <= 0) {
      this.#restart('lease may have lapsed (no keep-alive in time)');
      return;
    }
    this.#validityTimer = setTimeout(() => this.#checkValidity(), Math.min(remaining, 250));
    this.#validityTimer.unref();
  }

  #stepDown(reason: string): void {
    clearTimeout(this.#validityTimer);
    if (this.#state === 'leader') {
      this.#state = 'campaigning';
      this.#token = undefined;
      this.#log.warn({ reason }, 'no longer leader');
      this.emit('demoted', reason);
    }
  }

  #restart(reason: string): void {
    if (this.#state === 'stopped') return;
    this.#stepDown(reason);
    const old = this.#lease;
    this.#lease = undefined;
    const generation = ++this.#generation;
    void old?.revoke().catch(() => undefined);
    void this.#run(generation);
  }
}
