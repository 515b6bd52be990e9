import type {
  ClusterStatus,
  LbHost,
  LbState,
  LimiterRule,
  LimiterRules,
  Sample,
} from '../../src/sources/cluster-status.js';

export const host = (id: string, extra: Partial<LbHost> = {}): LbHost => ({
  id,
  url: `http://${id}:3000`,
  weight: 1,
  healthy: true,
  inflight: 0,
  consecutiveFailures: 0,
  ...extra,
});

const sample = (labels: Record<string, string>, value: number): Sample => ({ labels, value });

/** A healthy cluster as the console reads it: round-robin, billing-leader-1 leads with token 7. */
const rule = (name: string, extra: Partial<LimiterRule> = {}): LimiterRule => ({
  name,
  algorithm: 'fixed-window',
  limit: 1000,
  windowMs: 1000,
  cost: 1,
  shadow: false,
  failMode: 'open',
  failModeFrom: 'default',
  key: ['client'],
  match: {},
  ...extra,
});

/** The ratelimiter's rules: rules.example.json's kinds (a client rule, per-IP gcra fail-closed, a shadow trial). */
export const LIMITER_RULES: LimiterRules = {
  source: 'file',
  failMode: 'open',
  rules: [
    rule('limited', { limit: 5, windowMs: 60_000, match: { client: 'limited' } }),
    rule('per-ip', {
      algorithm: 'gcra',
      limit: 20,
      burst: 40,
      failMode: 'closed',
      failModeFrom: 'rule',
      key: ['address'],
      match: { route: 'POST /v1/payments*', address: '*' },
    }),
    rule('in-flight', { algorithm: 'concurrency', limit: 64, windowMs: 30_000 }),
    rule('trial', { algorithm: 'sliding-log', limit: 200, shadow: true }),
    rule('default'),
  ],
};

const sli = (slo: string, name: string) => ({ slo, slo_class: slo, sli: name });

/** The SLO recording rules' output for `all` and `read` (infra/slo/slos.yaml); `read` latency is burning. */
const SLO_SAMPLES: Record<string, Sample[]> = {
  sloObjective: [
    sample(sli('read', 'latency'), 0.99),
    sample(sli('all', 'availability'), 0.999),
    sample(sli('all', 'latency'), 0.99),
    sample(sli('read', 'availability'), 0.999),
  ],
  sloBudgetRemaining: [
    sample(sli('all', 'availability'), 0.75),
    sample(sli('all', 'latency'), 0.5),
    sample(sli('read', 'latency'), 0.25),
  ],
  sloError5m: [sample(sli('all', 'availability'), 0.0005), sample(sli('read', 'latency'), 0.2)],
  sloError1h: [sample(sli('all', 'availability'), 0.002), sample(sli('read', 'latency'), 0.1)],
  sloBurnAlerts: [sample({ slo: 'read', sli: 'latency', severity: 'page' }, 1)],
};

export function healthyStatus(overrides: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    at: '2026-12-02T23:00:00.000Z',
    lb: {
      ok: true,
      value: {
        strategy: 'round-robin',
        hashKey: 'client',
        panicking: false,
        hosts: [host('api-1', { inflight: 2 }), host('api-2'), host('api-3')],
      },
    },
    billing: [
      {
        url: 'http://billing-leader-1:3003',
        status: {
          ok: true,
          value: {
            node: 'billing-leader-1',
            leader: true,
            leaderNode: 'billing-leader-1',
            token: '7',
            since: '2026-12-02T22:00:00.000Z',
          },
        },
      },
      {
        url: 'http://billing-leader-2:3003',
        status: {
          ok: true,
          value: { node: 'billing-leader-2', leader: false, leaderNode: 'billing-leader-1', token: null, since: null },
        },
      },
    ],
    faults: { ok: true, value: { failRate: 0, acceptTimeoutRate: 0, acceptTimeoutMs: 10000, slowRate: 1, slowMs: 0 } },
    limiterRules: { ok: true, value: LIMITER_RULES },
    moves: [
      {
        url: 'http://api-1:9902',
        moves: {
          ok: true,
          value: {
            moves: [
              {
                id: 2,
                partition: 9,
                from: 1,
                to: 0,
                startedAt: '2026-12-02T22:40:00.000Z',
                state: 'failed',
                finishedAt: '2026-12-02T22:40:01.000Z',
                error: { code: 'SHARD_ERR_MAP_CHANGED', message: 'the map changed under the move' },
              },
              {
                id: 1,
                partition: 5,
                from: 0,
                to: 1,
                startedAt: '2026-12-02T22:29:55.000Z',
                state: 'done',
                finishedAt: '2026-12-02T22:30:00.000Z',
                report: { fenceMs: 12.4, totalMs: 4100 },
              },
            ],
          },
        },
      },
      {
        url: 'http://api-2:9902',
        moves: {
          ok: true,
          value: {
            moves: [{ id: 1, partition: 40, from: 1, to: 0, startedAt: '2026-12-02T22:41:00.000Z', state: 'running' }],
          },
        },
      },
      { url: 'http://api-3:9902', moves: { ok: false, error: 'connect ECONNREFUSED' } },
    ],
    shardMap: {
      ok: true,
      value: {
        version: 3,
        assignments: Array.from({ length: 64 }, (_, p) => (p < 32 ? 0 : 1)),
        updatedAt: '2026-12-02T22:30:00.000Z',
        reason: 'move partition 5',
      },
    },
    registrations: {
      ok: true,
      value: { 'api-1': 'http://api-1:3000', 'api-2': 'http://api-2:3000', 'api-3': 'http://api-3:3000' },
    },
    metrics: {
      ok: true,
      value: {
        up: ['gateway', 'lb', 'api-1', 'api-2', 'api-3', 'billing-leader-1', 'billing-leader-2'].map((node) =>
          sample({ node, instance: `${node}:1` }, 1),
        ),
        gatewayRate: [sample({}, 30)],
        gatewayErrors: [sample({}, 0)],
        upstreamRate: ['api-1', 'api-2', 'api-3'].map((upstream) => sample({ upstream }, 10)),
        upstream5xx: [sample({ upstream: 'api-2' }, 0.5)],
        upstreamFailures: [sample({ upstream: 'api-2' }, 0.25)],
        cacheHitRatio: [sample({ entity: 'account' }, 0.9)],
        cacheUp: [sample({}, 1)],
        fillLease: [sample({ outcome: 'won' }, 2)],
        cacheMode: [
          sample({ entity: 'account', mode: 'write-through' }, 1),
          sample({ entity: 'post', mode: 'write-around' }, 1),
          sample({ entity: 'post_views', mode: 'write-back' }, 1),
        ],
        writeBackShared: [sample({ entity: 'post_views' }, 5)],
        writeBackNode: [
          sample({ entity: 'post_views', node: 'api-2' }, 0),
          sample({ entity: 'post_views', node: 'api-1' }, 2),
        ],
        consumerLag: [
          sample({ group: 'api-billing-ledger', topic: 'billing.events', partition: '0' }, 0),
          sample({ group: 'api-billing-ledger', topic: 'billing.events', partition: '1' }, 3),
        ],
        consumerAssigned: [
          sample({ group: 'api-billing-ledger', topic: 'billing.events' }, 4),
          sample({ group: 'api-l1-api-1', topic: 'accounts.events' }, 4),
        ],
        replicaLag: [sample({ shard: '0' }, 0.02), sample({ shard: '1' }, 0.5)],
        replicaUp: [sample({ shard: '0' }, 1), sample({ shard: '1' }, 0)],
        outboxPending: [sample({ shard: '0' }, 0), sample({ shard: '1' }, 12)],
        relayLeader: [sample({ shard: '0', node: 'api-3' }, 1)],
        limiterChecks: [
          sample({ rule: 'default', result: 'allowed' }, 20),
          sample({ rule: 'limited', result: 'allowed' }, 1),
          sample({ rule: 'limited', result: 'denied' }, 4),
          sample({ rule: 'limited', result: 'failed_open' }, 0.5),
          sample({ rule: 'per-ip', result: 'allowed' }, 3),
          sample({ rule: 'per-ip', result: 'failed_closed' }, 0.25),
          sample({ rule: 'old-rule', result: 'denied' }, 0.1),
          sample({ rule: '', result: 'unlimited' }, 2),
        ],
        limiterShadow: [
          sample({ rule: 'trial', result: 'allowed' }, 18),
          sample({ rule: 'trial', result: 'denied' }, 2),
        ],
        ...SLO_SAMPLES,
        billingCharges: [sample({}, 0.4)],
        fenceRejections: [sample({}, 0)],
      },
    },
    leaderHistory: [
      { node: 'billing-leader-2', token: '6', since: '2026-12-02T21:00:00.000Z' },
      { node: 'billing-leader-1', token: '7', since: '2026-12-02T22:00:00.000Z' },
    ],
    movedPartitions: [5],
    actions: [],
    ...overrides,
  };
}

/** The healthy cluster with some Prometheus series added or replaced. */
export function withMetrics(patch: Readonly<Record<string, readonly Sample[]>>): ClusterStatus {
  const base = healthyStatus();
  if (!base.metrics.ok) throw new TypeError('the fixture has metrics');
  return { ...base, metrics: { ok: true, value: { ...base.metrics.value, ...patch } } };
}

/** The healthy cluster with the lb's state changed (strategy, hosts...). */
export function withLb(patch: Partial<LbState>): ClusterStatus {
  const base = healthyStatus();
  if (!base.lb.ok) throw new TypeError('the fixture has an lb');
  return { ...base, lb: { ok: true, value: { ...base.lb.value, ...patch } } };
}
