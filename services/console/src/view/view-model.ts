import type { ActionRecord, ClusterStatus, FaultFlags, LeaderTerm } from '../sources/cluster-status.js';
import {
  apiHealth,
  fromGauge,
  fromRead,
  fromUp,
  hostState,
  samples,
  scalar,
  scrapedUp,
  type NodeState,
} from './node-health.js';
import { cacheView, type CacheView } from './cache.js';
import { consumersView, type ConsumersView } from './consumers.js';
import { limiterView, type LimiterView } from './limiter.js';
import { movesView, type MovesView } from './moves.js';
import { probedStates } from './probes.js';
import { ringView, type RingView } from './ring.js';
import { sloView, type SloView } from './slo.js';
import { EDGES, HEALTH_LABEL, LAYOUT, type Health, type TopoEdge, type TopoNode } from './topology.js';

export interface LbHostView {
  readonly id: string;
  readonly state: string;
  readonly stateLabel: string;
  readonly weight: number;
  readonly inflight: number;
  readonly rate?: number;
  readonly errorRate?: number;
}

/** Everything the page draws, and nothing it would have to work out itself. */
export interface ConsoleView {
  readonly at: string;
  readonly nodes: readonly (TopoNode & { readonly healthLabel: string })[];
  readonly edges: readonly TopoEdge[];
  readonly lb: {
    readonly ok: boolean;
    readonly error?: string;
    readonly strategy?: string;
    readonly hashKey?: string;
    readonly panicking?: boolean;
    readonly hosts: readonly LbHostView[];
    readonly ring?: RingView;
  };
  readonly billing: {
    readonly leader?: LeaderTerm;
    readonly replicas: readonly { readonly url: string; readonly node: string; readonly role: string }[];
    readonly history: readonly LeaderTerm[];
    readonly chargesPerSecond?: number;
    readonly fenceRejectionsPerSecond?: number;
  };
  readonly shards: {
    readonly ok: boolean;
    readonly error?: string;
    readonly version?: number;
    readonly updatedAt?: string;
    readonly reason?: string;
    /** Shard of each partition, by partition number. */
    readonly assignments: readonly number[];
    readonly moved: readonly number[];
    readonly perShard: readonly {
      readonly shard: number;
      readonly partitions: number;
      readonly replicaLagSeconds?: number;
      readonly outboxPending?: number;
      readonly relayLeader?: string;
    }[];
  };
  /** Per entity: hit ratio and mode; the write-back backlog; fill-lease outcomes. */
  readonly cache: CacheView;
  /** Consumer lag per group and topic (the outbox backlog and relay leaders are per shard, above). */
  readonly events: ConsumersView;
  readonly limiter: LimiterView;
  /** Partition moves started from the api nodes' admin listeners (the page's form among them). */
  readonly moves: MovesView;
  readonly slos: SloView;
  readonly faults: { readonly ok: boolean; readonly error?: string; readonly flags?: FaultFlags };
  readonly actions: readonly ActionRecord[];
  /** Sources that could not be read this round (shown as a banner). */
  readonly problems: readonly string[];
}

const byLabel = (status: ClusterStatus, name: string, label: string) =>
  new Map(samples(status, name).map((s) => [s.labels[label] ?? '', s.value]));

function nodeStates(status: ClusterStatus): Record<string, NodeState> {
  const billingOk = (node: string) => status.billing.find((b) => b.status.ok && b.status.value.node === node);
  const billingState = (node: string): NodeState => {
    const b = billingOk(node);
    if (b?.status.ok) return { health: 'up', detail: b.status.value.leader ? 'leader' : 'follower' };
    const up = scrapedUp(status, node);
    return up === true ? { health: 'degraded', detail: 'status unreadable' } : { health: 'down', detail: 'no answer' };
  };
  const replicaUp = byLabel(status, 'replicaUp', 'shard');
  const pg = (shard: string): NodeState => {
    const up = replicaUp.get(shard);
    if (up === undefined) return { health: 'unknown', detail: 'primary: no probe' };
    return up >= 1 ? { health: 'up', detail: 'replica streaming' } : { health: 'degraded', detail: 'replica down' };
  };
  const etcd = status.registrations.ok || status.shardMap.ok;
  return {
    gateway: fromUp(scrapedUp(status, 'gateway')),
    lb: fromRead(
      status.lb.ok,
      status.lb.ok && status.lb.value.panicking ? 'PANIC mode' : 'admin ok',
      'admin unreadable',
    ),
    'api-1': apiHealth(status, 'api-1'),
    'api-2': apiHealth(status, 'api-2'),
    'api-3': apiHealth(status, 'api-3'),
    'redis-cache': fromGauge(scalar(status, 'cacheUp'), 'cache'),
    'pg-0': pg('0'),
    'pg-1': pg('1'),
    kafka: { health: 'unknown', detail: 'no exporter' },
    etcd: fromRead(etcd, 'watch ok', status.registrations.ok ? '' : status.registrations.error),
    'redis-lock': { health: 'unknown', detail: 'no exporter' },
    'billing-leader-1': billingState('billing-leader-1'),
    'billing-leader-2': billingState('billing-leader-2'),
    payments: fromRead(status.faults.ok, 'admin ok', status.faults.ok ? '' : status.faults.error),
  };
}

function edgesWithRates(status: ClusterStatus): TopoEdge[] {
  const rate = byLabel(status, 'upstreamRate', 'upstream');
  const e5xx = byLabel(status, 'upstream5xx', 'upstream');
  const failed = byLabel(status, 'upstreamFailures', 'upstream');
  return EDGES.map((edge) => {
    if (edge.from === 'gateway') {
      const r = scalar(status, 'gatewayRate');
      const e = scalar(status, 'gatewayErrors');
      return { ...edge, ...(r === undefined ? {} : { rate: r }), ...(e === undefined ? {} : { errorRate: e }) };
    }
    if (edge.from === 'lb') {
      const r = rate.get(edge.to);
      const e = (e5xx.get(edge.to) ?? 0) + (failed.get(edge.to) ?? 0);
      return { ...edge, ...(r === undefined ? {} : { rate: r }), errorRate: e };
    }
    return edge;
  });
}

function lbView(status: ClusterStatus): ConsoleView['lb'] {
  if (!status.lb.ok) return { ok: false, error: status.lb.error, hosts: [] };
  const lb = status.lb.value;
  const rate = byLabel(status, 'upstreamRate', 'upstream');
  const e5xx = byLabel(status, 'upstream5xx', 'upstream');
  const failed = byLabel(status, 'upstreamFailures', 'upstream');
  const hosts = lb.hosts.map((h) => {
    const { state, label } = hostState(h);
    const r = rate.get(h.id);
    return {
      id: h.id,
      state,
      stateLabel: label,
      weight: h.effectiveWeight ?? h.weight,
      inflight: h.inflight,
      ...(r === undefined ? {} : { rate: r }),
      errorRate: (e5xx.get(h.id) ?? 0) + (failed.get(h.id) ?? 0),
    };
  });
  // The ring over the hosts a strategy sees (healthy, not ejected), laid out on the base weight.
  const available = lb.hosts.filter((h) => h.healthy && h.ejected !== true);
  const ring = ringView(
    lb.strategy,
    available.map((h) => ({ id: h.id, weight: Math.max(0.01, h.weight) })),
  );
  return {
    ok: true,
    strategy: lb.strategy,
    hashKey: lb.hashKey,
    panicking: lb.panicking,
    hosts,
    ...(ring === undefined ? {} : { ring }),
  };
}

function billingView(status: ClusterStatus): ConsoleView['billing'] {
  const replicas = status.billing.map(({ url, status: s }) => ({
    url,
    node: s.ok ? s.value.node : new URL(url).hostname,
    role: s.ok ? (s.value.leader ? 'leader' : 'follower') : `unreachable (${s.error})`,
  }));
  const leading = status.billing.find((b) => b.status.ok && b.status.value.leader);
  // A follower names the leader too (one Service in front of all replicas on Kubernetes), without its token.
  const named = status.billing.flatMap(({ status: s }) =>
    s.ok && s.value.leaderNode !== null ? [s.value.leaderNode] : [],
  );
  const leader =
    leading?.status.ok === true
      ? { node: leading.status.value.node, token: leading.status.value.token, since: leading.status.value.since }
      : named[0] === undefined
        ? undefined
        : { node: named[0], token: null, since: null };
  const charges = scalar(status, 'billingCharges');
  const fence = scalar(status, 'fenceRejections');
  return {
    ...(leader === undefined ? {} : { leader }),
    replicas,
    history: [...status.leaderHistory].reverse(),
    ...(charges === undefined ? {} : { chargesPerSecond: charges }),
    ...(fence === undefined ? {} : { fenceRejectionsPerSecond: fence }),
  };
}

function shardsView(status: ClusterStatus): ConsoleView['shards'] {
  const lag = byLabel(status, 'replicaLag', 'shard');
  const outbox = byLabel(status, 'outboxPending', 'shard');
  const relay = new Map(samples(status, 'relayLeader').map((s) => [s.labels.shard ?? '', s.labels.node ?? '']));
  if (!status.shardMap.ok || status.shardMap.value === undefined) {
    const error = status.shardMap.ok ? 'no shard map in etcd yet' : status.shardMap.error;
    return { ok: false, error, assignments: [], moved: [], perShard: [] };
  }
  const map = status.shardMap.value;
  const shardCount = Math.max(2, ...map.assignments.map((s) => s + 1));
  const perShard = Array.from({ length: shardCount }, (_, shard) => {
    const key = String(shard);
    const l = lag.get(key);
    const o = outbox.get(key);
    const r = relay.get(key);
    return {
      shard,
      partitions: map.assignments.filter((s) => s === shard).length,
      ...(l === undefined ? {} : { replicaLagSeconds: l }),
      ...(o === undefined ? {} : { outboxPending: o }),
      ...(r === undefined ? {} : { relayLeader: r }),
    };
  });
  return {
    ok: true,
    version: map.version,
    updatedAt: map.updatedAt,
    reason: map.reason,
    assignments: map.assignments,
    moved: status.movedPartitions,
    perShard,
  };
}

/** The pure step: one round's statuses -> what the page draws. */
export function buildView(status: ClusterStatus): ConsoleView {
  // The stores' exporters, when scraped, say more than the api's view of them (or nothing at all).
  const states = { ...nodeStates(status), ...probedStates(status) };
  const nodes = Object.entries(LAYOUT).map(([id, [x, y, label]]) => {
    const s = states[id] ?? { health: 'unknown' as Health, detail: '' };
    return { id, label, x, y, health: s.health, healthLabel: HEALTH_LABEL[s.health], detail: s.detail };
  });
  const moves = movesView(status);
  const problems = [
    ...(status.lb.ok ? [] : [`lb admin: ${status.lb.error}`]),
    ...(status.metrics.ok ? [] : [`prometheus: ${status.metrics.error}`]),
    ...(status.shardMap.ok ? [] : [`etcd: ${status.shardMap.error}`]),
    ...(status.faults.ok ? [] : [`payments admin: ${status.faults.error}`]),
    ...(status.limiterRules.ok ? [] : [`ratelimiter rules: ${status.limiterRules.error}`]),
    ...(moves.ok ? [] : [`api admin (partition moves): ${moves.error}`]),
  ];
  return {
    at: status.at,
    nodes,
    edges: edgesWithRates(status),
    lb: lbView(status),
    billing: billingView(status),
    shards: shardsView(status),
    cache: cacheView(status),
    events: consumersView(status),
    limiter: limiterView(status),
    moves,
    slos: sloView(status),
    faults: status.faults.ok ? { ok: true, flags: status.faults.value } : { ok: false, error: status.faults.error },
    actions: [...status.actions].reverse(),
    problems,
  };
}
