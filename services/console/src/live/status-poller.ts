import type { Logger } from '@sdl/logging';
import type { ActionRecord, ClusterStatus, LeaderTerm } from '../sources/cluster-status.js';
import type { EtcdSource } from '../sources/etcd-source.js';
import { readHttpSources, type ReadTargets } from '../sources/read-cluster.js';
import { buildView, type ConsoleView } from '../view/view-model.js';

export interface StatusPollerOptions {
  readonly targets: ReadTargets;
  readonly etcd: EtcdSource;
  readonly pollMs: number;
  readonly logger: Logger;
}

type Listener = (view: ConsoleView) => void;

const KEEP = 20;

/**
 * Reads the cluster every `pollMs` while at least one page listens (an idle console costs the
 * cluster nothing), builds the view, and hands it to every listener. It also keeps what no single
 * read shows: the leaders seen with their tokens, the partitions the last map change moved, and the
 * actions taken from the page.
 */
export class StatusPoller {
  readonly #o: StatusPollerOptions;
  readonly #listeners = new Set<Listener>();
  readonly #history: LeaderTerm[] = [];
  readonly #actions: ActionRecord[] = [];
  #moved: number[] = [];
  #lastMap: readonly number[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Bumped by stop(): a read still in flight from an earlier loop schedules nothing. */
  #loop = 0;
  #running: Promise<ConsoleView> | undefined;
  #latest: ConsoleView | undefined;

  constructor(options: StatusPollerOptions) {
    this.#o = options;
  }

  /** Reads once (or joins the read in flight) and answers the view. */
  async read(): Promise<ConsoleView> {
    this.#running ??= this.#read().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  get latest(): ConsoleView | undefined {
    return this.#latest;
  }

  /** Adds a listener; the first one starts the timer. Returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#schedule(this.#loop, 0);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Records an action taken from the page (shown in the page's log, newest first). */
  record(action: Omit<ActionRecord, 'at'>): void {
    this.#actions.push({ at: new Date().toISOString(), ...action });
    if (this.#actions.length > KEEP) this.#actions.shift();
  }

  stop(): void {
    this.#loop++;
    clearTimeout(this.#timer);
  }

  #schedule(loop: number, delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.read()
        .then((view) => {
          for (const listener of this.#listeners) listener(view);
        })
        .catch((err: unknown) => this.#o.logger.warn({ err }, 'cluster read failed'))
        .finally(() => {
          if (loop === this.#loop) this.#schedule(loop, this.#o.pollMs);
        });
    }, delayMs);
  }

  async #read(): Promise<ConsoleView> {
    const http = await readHttpSources(this.#o.targets);
    const shardMap = this.#o.etcd.shardMap();
    this.#remember(http.billing, shardMap);
    const status: ClusterStatus = {
      at: new Date().toISOString(),
      ...http,
      shardMap,
      registrations: this.#o.etcd.registrations(),
      leaderHistory: [...this.#history],
      movedPartitions: [...this.#moved],
      actions: [...this.#actions],
    };
    this.#latest = buildView(status);
    return this.#latest;
  }

  #remember(billing: ClusterStatus['billing'], shardMap: ClusterStatus['shardMap']): void {
    for (const { status } of billing) {
      if (!status.ok || !status.value.leader) continue;
      const { node, token, since } = status.value;
      const last = this.#history.at(-1);
      if (last?.node === node && last.token === token) continue;
      this.#history.push({ node, token, since });
      if (this.#history.length > KEEP) this.#history.shift();
    }
    if (shardMap.ok && shardMap.value !== undefined) {
      const now = shardMap.value.assignments;
      if (this.#lastMap !== undefined && this.#lastMap.some((s, p) => now[p] !== s)) {
        this.#moved = now.flatMap((s, p) => (this.#lastMap![p] === s ? [] : [p]));
      }
      this.#lastMap = now;
    }
  }
}
