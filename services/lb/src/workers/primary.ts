import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@sdl/logging';
import { AggregatorRegistry, type Registry } from '@sdl/metrics';
import type { LbControl, StrategyChange } from '../control.js';
import type { HostSpec } from '../upstreams/host-spec.js';
import { isFromWorker, type ToWorker, type WorkerState } from './messages.js';
import { mergeWorkerStates } from './merge-state.js';

export interface WorkerPoolOptions {
  readonly count: number;
  readonly logger: Logger;
  /** The primary's own registry (admin app, process): aggregated with the workers' series. */
  readonly registry: Registry;
  /** Hosts from STATIC_UPSTREAMS (each worker parses them itself; the primary needs their ids). */
  readonly staticHosts: readonly HostSpec[];
  /** How long a worker may take to answer the primary (state, metrics, a switch). */
  readonly replyTimeoutMs?: number;
  /** Delay before a worker that died is forked again. */
  readonly restartDelayMs?: number;
}

export interface WorkerPool {
  /** Forks the workers; resolves when every one listens on the proxy port. */
  start(): Promise<number>;
  /** etcd's hosts, sent to every worker now and to any worker forked later. */
  setHosts(specs: readonly HostSpec[]): void;
  readonly control: LbControl;
  /** Every process's series in one exposition (prom-client's cluster aggregation). */
  metrics(): Promise<string>;
  /** Opens every worker's access log for `forMs` (the primary's SIGUSR2). */
  openAccessLog(forMs: number): void;
  /** How many workers listen now. */
  readonly listening: number;
  /** Tells every worker to drain for up to `drainMs` and waits until they have exited. */
  close(drainMs: number): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The lb's primary with LB_WORKERS > 1 (nginx's master): forks the workers with node:cluster,
 * relays etcd's hosts and the admin switches to them, merges their state and metrics, and forks a
 * worker again when one dies. It proxies nothing itself.
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const log = options.logger.child({ component: 'workers' });
  const replyTimeoutMs = options.replyTimeoutMs ?? 2000;
  const workers = new Map<number, Worker>();
  const listening = new Set<number>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let etcdHosts: readonly HostSpec[] = [];
  // Replayed to a worker forked after a switch, so that every worker runs the same strategy.
  let lastSwitch: StrategyChange | undefined;
  const weights: Record<string, number | null> = {};
  let closing = false;
  let started: ((port: number) => void) | undefined;

  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)) });

  const post = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const ask = (worker: Worker, message: (id: number) => ToWorker): Promise<unknown> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`worker ${worker.id} did not answer within ${replyTimeoutMs} ms`));
      }, replyTimeoutMs);
      pending.set(id, { resolve, reject, timer });
      post(worker, message(id));
    });
  };
  const live = (): Worker[] => [...workers.values()].filter((w) => listening.has(w.id));
  const askAll = async (message: (id: number) => ToWorker): Promise<unknown[]> => {
    const answers = await Promise.allSettled(live().map((w) => ask(w, message)));
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  };

  const fork = (index: number): void => {
    const worker = cluster.fork({ LB_WORKER_INDEX: String(index) });
    workers.set(worker.id, worker);
    worker.on('message', (message: unknown) => {
      if (!isFromWorker(message)) return;
      if (message.t === 'ready') {
        // The switch, then the hosts: the worker listens once it has the hosts (worker-main.ts).
        if (lastSwitch !== undefined) post(worker, { t: 'apply', id: 0, change: { ...lastSwitch, weights } });
        post(worker, { t: 'hosts', specs: etcdHosts });
        return;
      }
      if (message.t === 'listening') {
        listening.add(worker.id);
        log.info({ worker: index, pid: worker.process.pid, port: message.port }, 'worker listening');
        if (listening.size === options.count) started?.(message.port);
        return;
      }
      const waiting = pending.get(message.id);
      if (waiting === undefined) return;
      pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.error !== undefined) waiting.reject(new Error(message.error));
      else waiting.resolve(message.value);
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker.id);
      listening.delete(worker.id);
      if (closing) return;
      log.error({ worker: index, pid: worker.process.pid, code, signal }, 'worker died; forking another');
      setTimeout(() => {
        if (!closing) fork(index);
      }, options.restartDelayMs ?? 1000).unref();
    });
  };

  return {
    start() {
      return new Promise((resolve) => {
        started = resolve;
        for (let i = 1; i <= options.count; i++) fork(i);
      });
    },
    setHosts(specs) {
      etcdHosts = specs;
      for (const worker of workers.values()) post(worker, { t: 'hosts', specs });
    },
    control: {
      async state() {
        const states = (await askAll((id) => ({ t: 'state', id }))) as WorkerState[];
        return mergeWorkerStates(states, options.count);
      },
      hostIds: () => new Set([...options.staticHosts, ...etcdHosts].map((h) => h.id)),
      async apply(change) {
        lastSwitch = change;
        Object.assign(weights, change.weights);
        await askAll((id) => ({ t: 'apply', id, change }));
      },
    },
    async metrics() {
      const perWorker = await askAll((id) => ({ t: 'metrics', id }));
      const merged = AggregatorRegistry.aggregate([
        await options.registry.getMetricsAsJSON(),
        ...(perWorker as object[]),
      ]);
      return merged.metrics();
    },
    openAccessLog(forMs) {
      for (const worker of workers.values()) post(worker, { t: 'access-log', forMs });
    },
    get listening() {
      return listening.size;
    },
    async close(drainMs) {
      closing = true;
      const exited = [...workers.values()].map(
        (worker) =>
          new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))),
      );
      for (const worker of workers.values()) post(worker, { t: 'drain', drainMs });
      // A worker that outlives its drain by a second is killed.
      const kill = setTimeout(() => {
        for (const worker of workers.values()) worker.process.kill('SIGKILL');
      }, drainMs + 1000);
      await Promise.all(exited);
      clearTimeout(kill);
    },
  };
}
