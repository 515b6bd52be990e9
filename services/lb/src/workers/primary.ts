import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@sdl/logging';
import { AppError } from '@sdl/errors';
import { AggregatorRegistry, type Registry } from '@sdl/metrics';
import type { LbControl, StrategyChange } from '../control.js';
import { LbAdminErrors } from '../errors.js';
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
  /** Forks the workers; resolves when every one listens on the proxy port, rejects if one dies first. */
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
  const replyTimeoutMs = options.replyTimeoutMs ?? 5000;
  const workers = new Map<number, Worker>();
  const listening = new Set<number>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let etcdHosts: readonly HostSpec[] = [];
  // Every switch so far, merged (the last strategy, the last hash key given, every weight): sent to
  // a worker forked later, so that every worker runs the same strategy.
  let switched: StrategyChange | undefined;
  // Workers whose message handler is up (they sent `ready`): a switch goes to all of them.
  const greeted = new Set<number>();
  let closing = false;
  let booting: { resolve(port: number): void; reject(err: Error): void } | undefined;
  let restartDelayMs = options.restartDelayMs ?? 1000;

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
      }, replyTimeoutMs).unref();
      pending.set(id, { resolve, reject, timer });
      post(worker, message(id));
    });
  };
  const among = (ids: ReadonlySet<number>): Worker[] => [...workers.values()].filter((w) => ids.has(w.id));
  /** Every answer of `targets`, or (with `all`) a 503 LB_ERR_WORKERS_UNAVAILABLE if one failed. */
  const askAll = async (targets: Worker[], message: (id: number) => ToWorker, all: boolean): Promise<unknown[]> => {
    const answers = await Promise.allSettled(targets.map((w) => ask(w, message)));
    const failed = answers.flatMap((a) => (a.status === 'rejected' ? [String(a.reason)] : []));
    if (all && failed.length > 0) throw new AppError(LbAdminErrors.workersUnavailable, { details: { failed } });
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  };

  const fork = (index: number): void => {
    const worker = cluster.fork({ LB_WORKER_INDEX: String(index) });
    workers.set(worker.id, worker);
    worker.on('message', (message: unknown) => {
      if (!isFromWorker(message)) return;
      if (message.t === 'ready') {
        // In order: the hosts (the switch's weights name them), the switch in force, then listen.
        greeted.add(worker.id);
        post(worker, { t: 'hosts', specs: etcdHosts });
        if (switched !== undefined) post(worker, { t: 'apply', id: 0, change: switched });
        post(worker, { t: 'listen' });
        return;
      }
      if (message.t === 'listening') {
        listening.add(worker.id);
        restartDelayMs = options.restartDelayMs ?? 1000;
        log.info({ worker: index, pid: worker.process.pid, port: message.port }, 'worker listening');
        if (listening.size === options.count) {
          booting?.resolve(message.port);
          booting = undefined;
        }
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
      const wasListening = listening.delete(worker.id);
      workers.delete(worker.id);
      greeted.delete(worker.id);
      if (closing) return;
      if (booting !== undefined) {
        // At boot a worker that dies is a setting or the port, not bad luck: the lb fails to start.
        booting.reject(new Error(`lb worker ${index} exited (code ${code}, signal ${signal}) before listening`));
        booting = undefined;
        return;
      }
      log.error(
        { worker: index, pid: worker.process.pid, code, signal, restartDelayMs },
        'worker died; forking another',
      );
      setTimeout(() => {
        if (!closing) fork(index);
      }, restartDelayMs).unref();
      // A worker that dies before it listens again backs off (doubling, at most 30 s).
      if (!wasListening) restartDelayMs = Math.min(30_000, restartDelayMs * 2);
    });
  };

  return {
    start() {
      return new Promise((resolve, reject) => {
        booting = { resolve, reject };
        for (let i = 1; i <= options.count; i++) fork(i);
      });
    },
    setHosts(specs) {
      etcdHosts = specs;
      for (const worker of workers.values()) post(worker, { t: 'hosts', specs });
    },
    control: {
      async state() {
        // A worker that does not answer is left out: `perWorker` shows fewer than `workers`.
        const states = (await askAll(among(listening), (id) => ({ t: 'state', id }), false)) as WorkerState[];
        return mergeWorkerStates(states, options.count);
      },
      hostIds: () => new Set([...options.staticHosts, ...etcdHosts].map((h) => h.id)),
      async apply(change) {
        switched = {
          strategy: change.strategy,
          hashKey: change.hashKey ?? switched?.hashKey,
          weights: { ...switched?.weights, ...change.weights },
        };
        await askAll(among(greeted), (id) => ({ t: 'apply', id, change }), true);
      },
    },
    async metrics() {
      // All or nothing: a sum without one worker's counters would look like a counter reset.
      const perWorker = await askAll(among(listening), (id) => ({ t: 'metrics', id }), true);
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
