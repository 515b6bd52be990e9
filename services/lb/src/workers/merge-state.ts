import type { HostState, LbState } from '../control.js';
import type { WorkerState } from './messages.js';

/**
 * One GET /admin/lb from every worker's own view. A host counts as healthy only if every worker
 * sees it healthy, and as ejected if any worker ejected it (each worker keeps its own passive
 * health, as nginx's workers do); in-flight requests and ejections add up. `perWorker` keeps the
 * detail, `workers` says how many are configured (fewer views: some did not answer).
 */
export function mergeWorkerStates(states: readonly WorkerState[], configured: number): LbState {
  const first = states[0];
  const hosts = new Map<string, HostState>();
  for (const state of states) {
    for (const host of state.hosts) {
      const seen = hosts.get(host.id);
      if (seen === undefined) {
        hosts.set(host.id, host);
        continue;
      }
      const ejections = (seen.ejections ?? 0) + (host.ejections ?? 0);
      hosts.set(host.id, {
        ...seen,
        healthy: seen.healthy && host.healthy,
        inflight: seen.inflight + host.inflight,
        consecutiveFailures: Math.max(seen.consecutiveFailures, host.consecutiveFailures),
        ...(ejections === 0 ? {} : { ejected: seen.ejected === true || host.ejected === true, ejections }),
      });
    }
  }
  return {
    strategy: first?.strategy ?? 'unknown',
    hashKey: first?.hashKey ?? 'unknown',
    panicking: states.some((s) => s.panicking),
    ...(first?.routes === undefined ? {} : { routes: first.routes }),
    hosts: [...hosts.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    workers: configured,
    perWorker: states.map((s, i) => ({
      worker: i + 1,
      pid: s.pid,
      strategy: s.strategy,
      served: s.served,
      panicking: s.panicking,
      hosts: s.hosts.map(({ id, healthy, inflight, ejected }) => ({ id, healthy, inflight, ejected })),
    })),
  };
}
