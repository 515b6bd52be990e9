import type { Balancer } from './balancer.js';
import type { UpstreamHost } from './upstreams/upstream-host.js';
import type { UpstreamSet } from './upstreams/upstream-set.js';

/** One host as GET /admin/lb shows it (UpstreamHost.toJSON). */
export type HostState = ReturnType<UpstreamHost['toJSON']>;

/** What GET /admin/lb answers. */
export interface LbState {
  readonly strategy: string;
  readonly hashKey: string;
  readonly panicking: boolean;
  readonly routes?: Balancer['routes'];
  readonly hosts: readonly HostState[];
  /** LB_WORKERS > 1: how many worker processes answered, and each one's own view. */
  readonly workers?: number;
  readonly perWorker?: readonly WorkerView[];
}

export interface WorkerView {
  readonly worker: number;
  readonly pid: number;
  readonly strategy: string;
  /** Requests this worker's proxy received since it started (how the kernel spread them). */
  readonly served: number;
  readonly panicking: boolean;
  readonly hosts: readonly Pick<HostState, 'id' | 'healthy' | 'inflight' | 'ejected'>[];
}

/** A validated switch (admin-routes checks it): weights map host id -> weight, null clears. */
export interface StrategyChange {
  readonly strategy: string;
  readonly hashKey?: string;
  readonly weights: Readonly<Record<string, number | null>>;
}

/**
 * What the admin routes drive: the data plane of this process (LB_WORKERS=1) or, through the
 * primary, every worker's (src/workers/primary.ts). The routes validate; a control only applies.
 */
export interface LbControl {
  state(): Promise<LbState>;
  /** Ids of the hosts known now (weights may name only these). */
  hostIds(): ReadonlySet<string>;
  apply(change: StrategyChange): Promise<void>;
}

/** This process's own state: what a single lb answers, and what each worker reports. */
export function localState(balancer: Balancer, upstreams: UpstreamSet): LbState {
  return {
    strategy: balancer.strategy,
    hashKey: balancer.hashKey,
    panicking: balancer.panicking,
    ...(balancer.routes.length === 0 ? {} : { routes: balancer.routes }),
    hosts: upstreams.list().map((host) => host.toJSON()),
  };
}

/** Applies a switch here: weights first, so the new strategy's first pick sees them. */
export function applyLocally(balancer: Balancer, upstreams: UpstreamSet, change: StrategyChange): void {
  const hosts = new Map(upstreams.list().map((h) => [h.id, h]));
  for (const [id, weight] of Object.entries(change.weights)) hosts.get(id)?.overrideWeight(weight ?? undefined);
  balancer.use(change.strategy, change.hashKey);
}

export function localControl(balancer: Balancer, upstreams: UpstreamSet): LbControl {
  return {
    state: async () => localState(balancer, upstreams),
    hostIds: () => new Set(upstreams.list().map((h) => h.id)),
    apply: async (change) => applyLocally(balancer, upstreams, change),
  };
}
