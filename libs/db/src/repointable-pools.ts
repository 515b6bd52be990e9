import type pg from 'pg';
import { endpointOf, withEndpoint } from './shard-endpoints.js';

export interface RepointablePoolsOptions {
  /** The configured URL of each shard (index = shard): credentials, database, and the default host. */
  readonly urls: readonly string[];
  /** Makes a pool to `url` (createShardPool with the service's options). */
  readonly make: (url: string, shard: number) => pg.Pool;
  /**
   * Runs on a new pool before it is swapped in (the api migrates it); a failure ends the new pool
   * and keeps the old one. `signal` aborts when a newer repoint of the shard supersedes this one.
   */
  readonly prepare?: (pool: pg.Pool, shard: number, signal: AbortSignal) => Promise<void>;
}

/** What a repoint changed. */
export interface Repointed {
  readonly shard: number;
  readonly from: string;
  readonly to: string;
  /** The endpoint's epoch ('' = none): a new epoch repoints even to the same host (a server replaced). */
  readonly epoch: string;
}

// What a shard's pool was made for: the URL and the endpoint's epoch, as one comparable key.
const placement = (url: string, epoch: string): string => `${epoch}\n${url}`;

/**
 * One pg.Pool per shard whose server can change at run time: `repoint` builds a pool to the new
 * `host:port` with the same URL otherwise, swaps it in (every later `pool(shard)` gets it), then
 * ends the old one: its checked-out clients finish what they run and are dropped when released.
 * Callers must look the pool up per use (`pool(shard)`, or the live `pools` array), never keep it.
 */
export class RepointablePools {
  readonly #o: RepointablePoolsOptions;
  readonly #urls: string[];
  readonly #epochs: string[];
  readonly #pools: pg.Pool[];
  readonly #queues: Promise<unknown>[];
  readonly #pending: (AbortController | undefined)[];
  // The placement each shard was last asked for: asking again for it joins that repoint.
  readonly #requested: string[];
  readonly #draining = new Set<Promise<void>>();
  #closed = false;

  constructor(options: RepointablePoolsOptions) {
    this.#o = options;
    this.#urls = [...options.urls];
    this.#epochs = options.urls.map(() => '');
    this.#pools = options.urls.map((url, shard) => options.make(url, shard));
    this.#queues = options.urls.map(() => Promise.resolve());
    this.#pending = options.urls.map(() => undefined);
    this.#requested = options.urls.map((url) => placement(url, ''));
  }

  get count(): number {
    return this.#pools.length;
  }

  /** The pools now, by shard: a live view (a repoint replaces an entry). */
  get pools(): readonly pg.Pool[] {
    return this.#pools;
  }

  pool(shard: number): pg.Pool {
    const pool = this.#pools[shard];
    if (pool === undefined) throw new RangeError(`no shard ${shard}; only 0..${this.#pools.length - 1}`);
    return pool;
  }

  /** The shard's URL now (with credentials: never log it). */
  url(shard: number): string {
    this.pool(shard);
    return this.#urls[shard]!;
  }

  /** The shard's `host:port` now. */
  endpoint(shard: number): string {
    return endpointOf(this.url(shard));
  }

  /** The epoch of the endpoint the shard's pool was made for ('' = none: the configured URL's, or no epoch given). */
  epoch(shard: number): string {
    this.pool(shard);
    return this.#epochs[shard]!;
  }

  /**
   * Moves the shard to `endpoint` (`host:port`; undefined = the configured URL's host) of `epoch`
   * (default ''; another epoch makes a new pool even to the same host: the server behind it was
   * replaced). Resolves with what changed, or undefined when the shard is already there (or a
   * newer repoint won).
   * Repoints of one shard run in order; a newer one aborts an older one still preparing.
   */
  repoint(shard: number, endpoint: string | undefined, epoch = ''): Promise<Repointed | undefined> {
    this.pool(shard);
    const target = endpoint === undefined ? this.#o.urls[shard]! : withEndpoint(this.#o.urls[shard]!, endpoint);
    const wanted = placement(target, epoch);
    if (this.#requested[shard] === wanted) return this.#queues[shard]!.then(() => undefined);
    this.#requested[shard] = wanted;
    this.#pending[shard]?.abort();
    const abort = new AbortController();
    this.#pending[shard] = abort;
    const run = this.#queues[shard]!.catch(() => undefined).then(() => this.#swap(shard, target, epoch, abort.signal));
    this.#queues[shard] = run.catch(() => {
      // A failed repoint may be asked for again.
      if (this.#requested[shard] === wanted)
        this.#requested[shard] = placement(this.#urls[shard]!, this.#epochs[shard]!);
    });
    return run;
  }

  async #swap(shard: number, target: string, epoch: string, signal: AbortSignal): Promise<Repointed | undefined> {
    const placed = placement(this.#urls[shard]!, this.#epochs[shard]!);
    if (signal.aborted || this.#closed || placed === placement(target, epoch)) return undefined;
    const next = this.#o.make(target, shard);
    try {
      await this.#o.prepare?.(next, shard, signal);
    } catch (err) {
      await next.end().catch(() => undefined);
      if (signal.aborted) return undefined;
      throw err;
    }
    if (signal.aborted || this.#closed) {
      await next.end().catch(() => undefined);
      return undefined;
    }
    const from = endpointOf(this.#urls[shard]!);
    const old = this.#pools[shard]!;
    this.#pools[shard] = next;
    this.#urls[shard] = target;
    this.#epochs[shard] = epoch;
    const drained = old.end().catch(() => undefined);
    this.#draining.add(drained);
    void drained.then(() => this.#draining.delete(drained));
    return { shard, from, to: endpointOf(target), epoch };
  }

  /** Ends every pool (and waits for the old ones still draining). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#pending) pending?.abort();
    await Promise.all(this.#queues.map((q) => q.catch(() => undefined)));
    await Promise.all([...this.#pools.map((pool) => pool.end()), ...this.#draining]);
  }
}

export function createRepointablePools(options: RepointablePoolsOptions): RepointablePools {
  return new RepointablePools(options);
}
