import type { LbState, StrategyChange } from '../control.js';
import type { HostSpec } from '../upstreams/host-spec.js';

// The IPC between the lb's primary and its worker processes (LB_WORKERS > 1), over node:cluster's
// channel. The primary owns etcd discovery and the admin app; each worker owns a whole data plane.

/** Primary -> worker. Requests carrying `id` are answered with a `reply` of the same id. */
export type ToWorker =
  | { readonly t: 'hosts'; readonly specs: readonly HostSpec[] }
  /** After the hosts and the switch in force: open the proxy port. */
  | { readonly t: 'listen' }
  | { readonly t: 'apply'; readonly id: number; readonly change: StrategyChange }
  | { readonly t: 'state'; readonly id: number }
  | { readonly t: 'metrics'; readonly id: number }
  | { readonly t: 'access-log'; readonly forMs: number }
  | { readonly t: 'drain'; readonly drainMs: number };

/** A worker's own view, as it answers `state`. */
export type WorkerState = LbState & { readonly pid: number; readonly served: number };

/** Worker -> primary. */
export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'listening'; readonly port: number }
  | { readonly t: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string };

/** Marks the lb's messages among anything else on the channel (prom-client uses it too). */
export const isFromWorker = (message: unknown): message is FromWorker =>
  typeof message === 'object' &&
  message !== null &&
  ['ready', 'listening', 'reply'].includes(String((message as { t?: unknown }).t));

export const isToWorker = (message: unknown): message is ToWorker =>
  typeof message === 'object' &&
  message !== null &&
  ['hosts', 'listen', 'apply', 'state', 'metrics', 'access-log', 'drain'].includes(
    String((message as { t?: unknown }).t),
  );
