import cluster from 'node:cluster';
import { loadConfig } from '@sdl/config';
import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import { createAccessLog, createLoadShedder, loadSheddingOf } from '@sdl/server';
import { checkLbConfig, LbConfigSchema } from '../config.js';
import { applyLocally, localState } from '../control.js';
import { createDataPlane } from '../data-plane.js';
import { isToWorker, type FromWorker, type ToWorker, type WorkerState } from './messages.js';

// One worker process of the lb (LB_WORKERS > 1), forked by the primary (primary.ts) with the same
// environment: a whole data plane (upstream pools, strategy state, health checks, outlier
// detection, the proxy) on the shared proxy port (SO_REUSEPORT). Hosts from etcd, strategy
// switches, state and metrics go through the primary. Signals are the primary's to handle: a worker
// drains when the primary says so, or when the primary is gone.
if (!cluster.isWorker) throw new Error('worker-main.js runs only as a cluster worker of the lb');

const config = loadConfig(LbConfigSchema, process.env, checkLbConfig);
const index = Number(process.env.LB_WORKER_INDEX ?? cluster.worker?.id ?? 0);
const logger = createLogger({ name: 'lb', level: config.logLevel, base: { node: config.nodeId, worker: index } });
const metrics = createMetrics({ service: 'lb', node: config.nodeId });
const shedder = createLoadShedder(metrics.registry, loadSheddingOf(config));
const accessLog = createAccessLog(config.accessLog);
const plane = createDataPlane({ config, logger, registry: metrics.registry, shedder, accessLog });

const send = (message: FromWorker): void => {
  if (process.connected) process.send?.(message);
};
let draining: Promise<void> | undefined;
const drain = (drainMs: number): Promise<void> => {
  draining ??= (async () => {
    logger.info({ drainMs }, 'worker draining');
    await plane.close(drainMs);
    shedder?.close();
    accessLog.close();
    // With the channel closed nothing holds the process: it ends (the primary kills a straggler).
    if (process.connected) process.disconnect();
  })();
  return draining;
};

// The proxy opens when the primary says so: after etcd's hosts and the switch in force, so that a
// worker forked again after a crash never takes connections with an empty set or the boot strategy.
// A worker that cannot listen (port taken, no SO_REUSEPORT) exits: the primary fails the boot.
let listening: Promise<void> | undefined;
const listen = async (): Promise<void> => {
  try {
    const address = await plane.listen(true);
    plane.start();
    send({ t: 'listening', port: address.port });
  } catch (err) {
    logger.fatal({ err, port: config.proxyPort }, 'worker cannot listen on the proxy port');
    process.exitCode = 1;
    await drain(0);
  }
};

const answer = async (message: ToWorker): Promise<unknown> => {
  switch (message.t) {
    case 'hosts':
      return plane.upstreams.reconcile('etcd', message.specs);
    case 'listen':
      listening ??= listen();
      return listening;
    case 'apply':
      return applyLocally(plane.balancer, plane.upstreams, message.change);
    case 'state':
      return {
        ...localState(plane.balancer, plane.upstreams),
        pid: process.pid,
        served: plane.served(),
      } satisfies WorkerState;
    case 'metrics':
      return metrics.registry.getMetricsAsJSON();
    case 'access-log':
      return accessLog.open(message.forMs);
    case 'drain':
      return drain(message.drainMs);
  }
};

process.on('message', (message: unknown) => {
  if (!isToWorker(message)) return;
  answer(message).then(
    (value) => {
      if ('id' in message) send({ t: 'reply', id: message.id, value });
    },
    (err: unknown) => {
      logger.error({ err, message: message.t }, 'worker request failed');
      if ('id' in message) send({ t: 'reply', id: message.id, error: String(err) });
    },
  );
});
// The primary died or closed the channel: finish what is in flight, then go.
process.on('disconnect', () => void drain(config.shutdownGraceMs));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGUSR2'] as const) process.on(signal, () => undefined);

send({ t: 'ready' });
