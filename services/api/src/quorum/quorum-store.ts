import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { loadRedisScript, type Redis } from '@sdl/redis';
import { compareVersions, type HybridLogicalClock } from './hybrid-logical-clock.js';
import { QuorumErrors } from './quorum-errors.js';
import type { QuorumMetrics } from './quorum-metrics.js';

const scriptsDir = new URL('../../src/quorum/scripts/', import.meta.url);

export interface QuorumStoreOptions {
  /** One client per independent Redis (the N replicas); each command is bounded by its client's timeout. */
  readonly replicas: readonly Redis[];
  /** Issues the versions of this node's writes. */
  readonly clock: HybridLogicalClock;
  readonly metrics: QuorumMetrics;
  readonly logger: Logger;
}

export interface WriteResult {
  readonly version: string;
  /** Replicas that acknowledged before the write returned (= w). */
  readonly acks: number;
}

export interface ReadResult {
  /** The newest value among the first r replies; undefined when none of them has the key. */
  readonly value: string | undefined;
  readonly version: string | undefined;
  /** Replicas whose replies were compared (= r). */
  readonly answered: number;
}

interface Reply {
  readonly replica: number;
  readonly version: string | undefined;
  readonly value: string | undefined;
}

interface Quorum<T> {
  readonly values: readonly T[];
  readonly failures: number;
  readonly reached: boolean;
}

/**
 * Settles once `needed` attempts have fulfilled (their values, in arrival order) or once so many
 * have failed that `needed` is out of reach; the other attempts run on unobserved.
 */
function quorumOf<T>(attempts: readonly Promise<T>[], needed: number): Promise<Quorum<T>> {
  return new Promise((resolve) => {
    const values: T[] = [];
    let failures = 0;
    for (const attempt of attempts) {
      attempt.then(
        (value) => {
          values.push(value);
          if (values.length === needed) resolve({ values: [...values], failures, reached: true });
        },
        () => {
          failures++;
          if (failures === attempts.length - needed + 1) resolve({ values: [...values], failures, reached: false });
        },
      );
    }
  });
}

/** The reply with the highest version (a missing key is older than any version). */
function newestOf(replies: readonly Reply[]): Reply | undefined {
  let newest: Reply | undefined;
  for (const reply of replies) {
    if (reply.version === undefined) continue;
    if (newest?.version === undefined || compareVersions(reply.version, newest.version) > 0) newest = reply;
  }
  return newest;
}

/**
 * A leaderless replicated key-value store over N independent Redis, Dynamo style: a write goes to
 * all N and returns at W acknowledgements; a read asks all N and returns the newest of the first R
 * replies. With W + R > N every read quorum overlaps every write quorum, so a read sees the latest
 * acknowledged write; with W + R <= N it may not. Each replica keeps a key's version only if it is
 * newer (put-if-newer.lua), and after each read the newest version found is written back to every
 * replica that answered an older one (read repair, in the background).
 */
export class QuorumStore {
  readonly #replicas: readonly Redis[];
  readonly #clock: HybridLogicalClock;
  readonly #metrics: QuorumMetrics;
  readonly #log: Logger;
  readonly #putIfNewer = loadRedisScript('put-if-newer', scriptsDir);
  readonly #background = new Set<Promise<unknown>>();

  constructor(options: QuorumStoreOptions) {
    this.#replicas = options.replicas;
    this.#clock = options.clock;
    this.#metrics = options.metrics;
    this.#log = options.logger.child({ component: 'quorum' });
  }

  /** N: the replica count. */
  get size(): number {
    return this.#replicas.length;
  }

  /** Writes a new version to every replica; throws API_ERR_QUORUM_UNAVAILABLE when fewer than `w` acknowledge. */
  async put(key: string, value: string, w: number): Promise<WriteResult> {
    const version = this.#clock.tick();
    const attempts = this.#replicas.map((redis) => this.#putIfNewer.run(redis, [key], [version, value]));
    this.#track(Promise.allSettled(attempts));
    const quorum = await quorumOf(attempts, w);
    if (!quorum.reached) {
      this.#metrics.operations.inc({ op: 'write', result: 'unavailable' });
      throw this.#unavailable('write', w, quorum);
    }
    this.#metrics.operations.inc({ op: 'write', result: 'ok' });
    return { version, acks: quorum.values.length };
  }

  /** Reads every replica, answers from the first `r`; throws API_ERR_QUORUM_UNAVAILABLE when fewer answer. */
  async get(key: string, r: number): Promise<ReadResult> {
    const attempts = this.#replicas.map((redis, replica) =>
      redis.hmget(key, 'version', 'value').then(([version, value]): Reply => ({
        replica,
        version: version ?? undefined,
        value: value ?? undefined,
      })),
    );
    const quorum = await quorumOf(attempts, r);
    if (!quorum.reached) {
      this.#metrics.operations.inc({ op: 'read', result: 'unavailable' });
      throw this.#unavailable('read', r, quorum);
    }
    const newest = newestOf(quorum.values);
    if (newest?.version !== undefined) this.#clock.observe(newest.version);
    this.#track(this.#repair(key, attempts, newest?.version));
    this.#metrics.operations.inc({ op: 'read', result: newest === undefined ? 'not_found' : 'ok' });
    return { value: newest?.value, version: newest?.version, answered: quorum.values.length };
  }

  /** Waits for the writes beyond W and the read repairs still running (each bounded by its client's timeout). */
  async drain(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Once every replica has answered or failed: counts what was behind and writes the newest version to it. */
  async #repair(key: string, attempts: readonly Promise<Reply>[], returned: string | undefined): Promise<void> {
    const replies = (await Promise.allSettled(attempts)).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const newest = newestOf(replies);
    if (newest?.version === undefined || newest.value === undefined) return;
    const { version, value } = newest;
    if (returned !== version) this.#metrics.staleReads.inc();
    const behind = replies.filter((r) => r.version === undefined || compareVersions(r.version, version) < 0);
    if (behind.length === 0) return;
    this.#metrics.staleReplies.inc(behind.length);
    await Promise.all(
      behind.map(async ({ replica }) => {
        try {
          await this.#putIfNewer.run(this.#replicas[replica]!, [key], [version, value]);
          this.#metrics.repairs.inc({ result: 'ok' });
        } catch (err) {
          this.#metrics.repairs.inc({ result: 'failed' });
          this.#log.debug({ err, key, replica }, 'read repair failed');
        }
      }),
    );
  }

  #unavailable(op: 'read' | 'write', needed: number, quorum: Quorum<unknown>): AppError {
    const details = { op, needed, answered: quorum.values.length, failed: quorum.failures, replicas: this.size };
    return new AppError(QuorumErrors.quorumUnavailable, { details });
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }
}

/** A quorum store over `replicas` (see QuorumStore). */
export function createQuorumStore(options: QuorumStoreOptions): QuorumStore {
  return new QuorumStore(options);
}
