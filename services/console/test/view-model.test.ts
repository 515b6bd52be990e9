import { describe, expect, it } from 'vitest';
import { windowLabel } from '../src/view/limiter.js';
import { buildView, type ConsoleView } from '../src/view/view-model.js';
import { healthyStatus, host, withLb } from './support/status-fixture.js';

const node = (view: ConsoleView, id: string) => view.nodes.find((n) => n.id === id)!;

describe('view model: statuses -> what the page draws', () => {
  it('draws a healthy cluster: 3 api nodes UP, the leader with its token, no ring for round-robin', () => {
    const view = buildView(healthyStatus());
    for (const id of ['api-1', 'api-2', 'api-3']) {
      expect(node(view, id)).toMatchObject({ health: 'up', healthLabel: 'UP' });
    }
    expect(node(view, 'gateway').health).toBe('up');
    expect(view.billing.leader).toEqual({ node: 'billing-leader-1', token: '7', since: '2026-12-02T22:00:00.000Z' });
    expect(view.billing.history.map((t) => t.token)).toEqual(['7', '6']);
    expect(view.billing.replicas.map((r) => r.role)).toEqual(['leader', 'follower']);
    expect(view.lb.ring).toBeUndefined();
    expect(view.lb.hosts.map((h) => h.state)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(view.problems).toEqual([]);
  });

  it('puts request and error rates on the lb -> api edges (5xx plus tries without an answer)', () => {
    const view = buildView(healthyStatus());
    const edge = view.edges.find((e) => e.from === 'lb' && e.to === 'api-2');
    expect(edge).toMatchObject({ rate: 10, errorRate: 0.75 });
    expect(view.edges.find((e) => e.from === 'gateway')).toMatchObject({ rate: 30, errorRate: 0 });
    expect(view.lb.hosts.find((h) => h.id === 'api-2')).toMatchObject({ rate: 10, errorRate: 0.75 });
  });

  it('shows a node the lb marks unhealthy as DOWN, an ejected one as DEGRADED, each with its reason', () => {
    const view = buildView(
      withLb({
        hosts: [host('api-1', { ejected: true, ejections: 1 }), host('api-2', { healthy: false }), host('api-3')],
      }),
    );
    expect(node(view, 'api-2')).toMatchObject({ health: 'down', healthLabel: 'DOWN' });
    expect(node(view, 'api-2').detail).toMatch(/health checks/);
    expect(node(view, 'api-1')).toMatchObject({ health: 'degraded', healthLabel: 'DEGRADED' });
    expect(view.lb.hosts.map((h) => h.state)).toEqual(['ejected', 'unhealthy', 'healthy']);
  });

  it('shows a node missing from the lb and from etcd as DOWN (not registered)', () => {
    const view = buildView({
      ...withLb({ hosts: [host('api-1'), host('api-2')] }),
      registrations: { ok: true, value: { 'api-1': 'x', 'api-2': 'y' } },
    });
    expect(node(view, 'api-3')).toMatchObject({ health: 'down', detail: 'not registered in etcd' });
  });

  it('draws the key space of a hashing strategy over the available hosts, with shares that add up to 1', () => {
    for (const strategy of ['ring-hash', 'maglev', 'rendezvous', 'bounded-load', 'ip-hash']) {
      const hosts = [host('api-1'), host('api-2', { healthy: false }), host('api-3', { weight: 2 })];
      const view = buildView(withLb({ strategy, hosts }));
      const ring = view.lb.ring!;
      expect(ring.strategy).toBe(strategy);
      expect(ring.shares.map((s) => s.host)).toEqual(['api-1', 'api-3']);
      expect(ring.shares.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 6);
      expect(ring.arcs[0]!.start).toBe(0);
      expect(ring.arcs.at(-1)!.end).toBe(1);
      for (const [a, b] of ring.arcs.slice(1).map((arc, i) => [ring.arcs[i]!, arc] as const)) {
        expect(b.start).toBe(a.end);
        expect(b.host).not.toBe(a.host);
      }
      expect(ring.arcs.every((a) => a.host !== 'api-2')).toBe(true);
    }
  });

  it('weights the ring: a host of weight 2 owns about twice the keys of a host of weight 1', () => {
    const view = buildView(withLb({ strategy: 'ring-hash', hosts: [host('api-1'), host('api-3', { weight: 2 })] }));
    const [one, two] = view.lb.ring!.shares;
    expect(two!.share / one!.share).toBeGreaterThan(1.5);
    expect(two!.share / one!.share).toBeLessThan(2.7);
  });

  it('summarises shards, cache and outbox per shard', () => {
    const view = buildView(healthyStatus());
    expect(view.shards).toMatchObject({ ok: true, version: 3, moved: [5] });
    expect(view.shards.assignments).toHaveLength(64);
    expect(view.shards.perShard).toEqual([
      { shard: 0, partitions: 32, replicaLagSeconds: 0.02, outboxPending: 0, relayLeader: 'api-3' },
      { shard: 1, partitions: 32, replicaLagSeconds: 0.5, outboxPending: 12 },
    ]);
    expect(node(view, 'pg-1')).toMatchObject({ health: 'degraded', detail: 'replica down' });
    expect(view.cache.entities.map((e) => [e.entity, e.hitRatio, e.mode])).toEqual([
      ['account', 0.9, 'write-through'],
      ['post', undefined, 'write-around'],
      ['post_views', undefined, 'write-back'],
    ]);
  });

  it('lists the limiter rules in evaluation order: policy, mode, fail mode, scope, admitted vs limited', () => {
    const { limiter } = buildView(healthyStatus());
    expect(limiter.ok).toBe(true);
    expect(limiter.summary).toBe(
      '5 rules from the rules file, first matching enforce rule decides; default fail mode: fail-open',
    );
    expect(limiter.rules.map((r) => r.rule)).toEqual([
      'limited',
      'per-ip',
      'in-flight',
      'trial',
      'default',
      '(no rule)',
      'old-rule',
    ]);
    const row = (name: string) => limiter.rules.find((r) => r.rule === name)!;
    // A fail-open admission counts as admitted, a fail-closed refusal as limited.
    expect(row('limited')).toEqual({
      rule: 'limited',
      policy: 'fixed-window 5 / 60 s',
      algorithm: 'fixed-window',
      limit: 5,
      windowMs: 60_000,
      mode: 'enforce',
      modeLabel: 'ENFORCE',
      failMode: 'open',
      failModeLabel: 'fail-open (default)',
      scope: 'client limited; per client',
      admitted: 1.5,
      limited: 4,
    });
    expect(row('per-ip')).toMatchObject({
      policy: 'gcra 20 / 1 s, burst 40',
      failModeLabel: 'fail-closed (rule)',
      scope: 'route POST /v1/payments*, address *; per address',
      admitted: 3,
      limited: 0.25,
    });
    expect(row('in-flight')).toMatchObject({
      policy: 'concurrency 64 in flight (lease 30 s)',
      admitted: 0,
      limited: 0,
    });
    // A shadow rule's figures are its shadow decisions: what it would have done.
    expect(row('trial')).toMatchObject({
      mode: 'shadow',
      modeLabel: 'SHADOW (counts, never limits)',
      scope: 'every request; per client',
      admitted: 18,
      limited: 2,
    });
    expect(row('default')).toMatchObject({ policy: 'fixed-window 1000 / 1 s', admitted: 20, limited: 0 });
    expect(row('(no rule)')).toMatchObject({ policy: 'no rule matched: unlimited', mode: 'unknown', admitted: 2 });
    expect(row('old-rule')).toMatchObject({ policy: 'not in the rules now', limited: 0.1 });
  });

  it('shows each SLO per route class and SLI: objective, good ratio, burn rate, budget left, status in words', () => {
    const { rows } = buildView(healthyStatus()).slos;
    expect(rows.map((r) => `${r.slo}/${r.sli}`)).toEqual([
      'all/availability',
      'all/latency',
      'read/availability',
      'read/latency',
    ]);
    const [allAvailability, allLatency, readAvailability, readLatency] = rows;
    expect(allAvailability).toEqual({
      slo: 'all',
      routeClass: 'all',
      sli: 'availability',
      objective: 0.999,
      objectiveLabel: '99.9 % not 5xx',
      good5m: 0.9995,
      good1h: 0.998,
      burnRate1h: expect.closeTo(2, 9),
      budgetRemaining: 0.75,
      status: 'ok',
      statusLabel: 'OK',
    });
    // No traffic in the short windows: no good ratio, no burn rate; the budget is still shown.
    expect(allLatency).toMatchObject({
      objectiveLabel: '99 % within the p99 bound',
      budgetRemaining: 0.5,
      status: 'ok',
    });
    expect(allLatency!.good5m).toBeUndefined();
    expect(allLatency!.burnRate1h).toBeUndefined();
    expect(readAvailability).toMatchObject({ status: 'no-data', statusLabel: 'NO DATA' });
    expect(readLatency).toMatchObject({
      good5m: 0.8,
      burnRate1h: expect.closeTo(10, 9),
      status: 'burning',
      statusLabel: 'BURNING (page alert firing)',
    });
  });

  it('says BUDGET SPENT when the error budget is used up, alert or not', () => {
    const base = healthyStatus();
    if (!base.metrics.ok) throw new TypeError('the fixture has metrics');
    const spent = [{ labels: { slo: 'read', slo_class: 'read', sli: 'latency' }, value: -0.4 }];
    const view = buildView({
      ...base,
      metrics: { ok: true, value: { ...base.metrics.value, sloBudgetRemaining: spent } },
    });
    expect(view.slos.rows.find((r) => r.slo === 'read' && r.sli === 'latency')).toMatchObject({
      budgetRemaining: -0.4,
      status: 'exhausted',
      statusLabel: 'BUDGET SPENT',
    });
    expect(buildView(healthyStatus({ metrics: { ok: false, error: 'timed out' } })).slos.rows).toEqual([]);
  });

  it('names windows as a person reads them', () => {
    expect([250, 1000, 1500, 60_000, 3_600_000, 7_200_000].map(windowLabel)).toEqual([
      '250 ms',
      '1 s',
      '1.5 s',
      '60 s',
      '1 h',
      '2 h',
    ]);
  });

  it('names the leader a follower reports when the leader itself did not answer (token unknown)', () => {
    const base = healthyStatus();
    const view = buildView({ ...base, billing: base.billing.slice(1) });
    expect(view.billing.leader).toEqual({ node: 'billing-leader-1', token: null, since: null });
  });

  it('keeps drawing when sources fail: the failures are listed, unreadable parts say so', () => {
    const down = { ok: false as const, error: 'ECONNREFUSED' };
    const view = buildView(
      healthyStatus({
        lb: down,
        metrics: { ok: false, error: 'timed out' },
        shardMap: down,
        registrations: down,
        faults: down,
        limiterRules: down,
        billing: [{ url: 'http://billing-leader-1:3003', status: down }],
      }),
    );
    expect(view.problems).toEqual([
      'lb admin: ECONNREFUSED',
      'prometheus: timed out',
      'etcd: ECONNREFUSED',
      'payments admin: ECONNREFUSED',
      'ratelimiter rules: ECONNREFUSED',
    ]);
    expect(node(view, 'lb').health).toBe('down');
    expect(node(view, 'api-1').health).toBe('unknown');
    expect(node(view, 'billing-leader-1').health).toBe('down');
    expect(view.billing.leader).toBeUndefined();
    expect(view.billing.replicas[0]!.role).toBe('unreachable (ECONNREFUSED)');
    expect(view.shards).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    expect(view.lb).toMatchObject({ ok: false, hosts: [] });
    expect(view.limiter).toEqual({ ok: false, error: 'ECONNREFUSED', rules: [] });
  });

  it('still shows the rules that decided when the rules cannot be read', () => {
    const { limiter } = buildView(healthyStatus({ limiterRules: { ok: false, error: 'HTTP 404' } }));
    expect(limiter).toMatchObject({ ok: false, error: 'HTTP 404' });
    expect(limiter.rules.map((r) => [r.rule, r.policy])).toContainEqual(['default', 'not in the rules now']);
  });

  it('lists the partition moves of every api node that answers, newest first, state in words', () => {
    const view = buildView(healthyStatus());
    expect(view.moves.ok).toBe(true);
    expect(view.moves.rows.map((m) => [m.node, m.partition, m.stateLabel])).toEqual([
      ['api-2', 40, 'MOVING'],
      ['api-1', 9, 'FAILED'],
      ['api-1', 5, 'DONE'],
    ]);
    expect(view.moves.rows[1]!.detail).toBe('SHARD_ERR_MAP_CHANGED: the map changed under the move');
    expect(view.moves.rows[2]!.detail).toBe('writes held 12 ms, 4.1 s in all');
    expect(view.problems.join(' ')).not.toMatch(/api admin/);
  });

  it('says so when no api admin listener answers', () => {
    const down = { ok: false as const, error: 'connect ECONNREFUSED' };
    const view = buildView(healthyStatus({ moves: [{ url: 'http://api-1:9902', moves: down }] }));
    expect(view.moves).toEqual({ ok: false, error: 'connect ECONNREFUSED', rows: [] });
    expect(view.problems).toContain('api admin (partition moves): connect ECONNREFUSED');
  });
});
