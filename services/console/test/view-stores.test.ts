import { describe, expect, it } from 'vitest';
import type { Sample } from '../src/sources/cluster-status.js';
import { buildView, type ConsoleView } from '../src/view/view-model.js';
import { healthyStatus, withMetrics } from './support/status-fixture.js';

const node = (view: ConsoleView, id: string) => view.nodes.find((n) => n.id === id)!;
const sample = (labels: Record<string, string>, value: number): Sample => ({ labels, value });
const etcdUp = (...values: number[]) =>
  values.map((v, i) => sample({ job: 'etcd', instance: `etcd-${i + 1}:2379` }, v));
const appUp = (): readonly Sample[] => {
  const { metrics } = healthyStatus();
  return metrics.ok ? (metrics.value.up ?? []) : [];
};

describe('view model: cache modes, write-back backlog, consumer lag', () => {
  it('shows each entity with its cache mode in words and its hit ratio', () => {
    const { cache } = buildView(healthyStatus());
    expect(cache.entities).toEqual([
      {
        entity: 'account',
        hitRatio: 0.9,
        mode: 'write-through',
        modeLabel: 'write-through (writes update Redis and Postgres)',
      },
      { entity: 'post', mode: 'write-around', modeLabel: 'write-around (writes drop the entry; a read fills it)' },
      {
        entity: 'post_views',
        mode: 'write-back',
        modeLabel: 'write-back (writes go to Redis, flushed to Postgres later)',
      },
    ]);
  });

  it('says so when the api nodes run different modes for one entity', () => {
    const view = buildView(
      withMetrics({
        cacheMode: [
          sample({ entity: 'account', mode: 'write-through' }, 1),
          sample({ entity: 'account', mode: 'off' }, 1),
        ],
      }),
    );
    expect(view.cache.entities).toEqual([
      { entity: 'account', hitRatio: 0.9, mode: 'mixed', modeLabel: 'nodes differ: off, write-through' },
    ]);
  });

  it('adds up the write-back backlog: the shared dirty hash plus each node’s flush in progress', () => {
    expect(buildView(healthyStatus()).cache.writeBack).toEqual([
      {
        entity: 'post_views',
        pending: 7,
        waiting: 5,
        perNode: [
          { node: 'api-1', flushing: 2 },
          { node: 'api-2', flushing: 0 },
        ],
      },
    ]);
    expect(buildView(withMetrics({ writeBackShared: [], writeBackNode: [] })).cache.writeBack).toEqual([]);
  });

  it('shows consumer lag per group and topic: behind, caught up, or no data before the first fetch', () => {
    const rows = buildView(healthyStatus()).events.rows;
    expect(rows).toEqual([
      {
        group: 'api-billing-ledger',
        topic: 'billing.events',
        assigned: 4,
        reporting: 2,
        lag: 3,
        maxPartitionLag: 3,
        state: 'behind',
        stateLabel: 'BEHIND by 3',
      },
      {
        group: 'api-l1-api-1',
        topic: 'accounts.events',
        assigned: 4,
        reporting: 0,
        state: 'no-data',
        stateLabel: 'NO DATA (nothing fetched yet)',
      },
    ]);
    const caughtUp = buildView(
      withMetrics({ consumerLag: [sample({ group: 'g', topic: 't', partition: '0' }, 0)], consumerAssigned: [] }),
    );
    expect(caughtUp.events.rows).toEqual([
      { group: 'g', topic: 't', reporting: 1, lag: 0, maxPartitionLag: 0, state: 'caught-up', stateLabel: 'CAUGHT UP' },
    ]);
  });
});

describe('view model: store health from their exporters (etcd, Redis, Postgres)', () => {
  it('keeps NO PROBE (or the api’s own view) while no exporter series exist', () => {
    const view = buildView(
      healthyStatus({ registrations: { ok: false, error: 'no etcd' }, shardMap: { ok: false, error: 'x' } }),
    );
    expect(node(view, 'redis-lock')).toMatchObject({ health: 'unknown', healthLabel: 'NO PROBE' });
    expect(node(view, 'kafka')).toMatchObject({ health: 'unknown', healthLabel: 'NO PROBE' });
    expect(node(view, 'redis-cache')).toMatchObject({ health: 'up', detail: 'cache ok' });
    expect(node(view, 'pg-1')).toMatchObject({ health: 'degraded', detail: 'replica down' });
    expect(node(view, 'etcd').health).toBe('down');
  });

  it('maps etcd members (job etcd): all up UP, some DEGRADED naming them, none DOWN', () => {
    const etcd = (...values: number[]) =>
      node(buildView(withMetrics({ up: [...appUp(), ...etcdUp(...values)] })), 'etcd');
    expect(etcd(1, 1, 1)).toMatchObject({ health: 'up', healthLabel: 'UP', detail: '3/3 up' });
    expect(etcd(1, 0, 1)).toMatchObject({ health: 'degraded', healthLabel: 'DEGRADED', detail: 'etcd-2 down' });
    expect(etcd(0, 0, 0)).toMatchObject({ health: 'down', healthLabel: 'DOWN', detail: '3/3 down' });
  });

  it('counts an etcd member whose instance names no compose host under its instance', () => {
    const up = [...appUp(), sample({ job: 'etcd', instance: '172.18.0.9:2379' }, 0), ...etcdUp(1, 1)];
    expect(node(buildView(withMetrics({ up })), 'etcd')).toMatchObject({ health: 'degraded' });
  });

  it('maps redis_up per target to the cache Redis and the lock Redis trio, whatever label names the host', () => {
    const view = buildView(
      withMetrics({
        redisUp: [
          sample({ instance: 'redis-cache:6379', job: 'redis' }, 1),
          sample({ target: 'redis://redis-lock-1:6379', instance: 'redis-exporter:9121' }, 1),
          sample({ target: 'redis://redis-lock-2:6379', instance: 'redis-exporter:9121' }, 0),
          sample({ target: 'redis://redis-lock-3:6379', instance: 'redis-exporter:9121' }, 1),
        ],
      }),
    );
    expect(node(view, 'redis-cache')).toMatchObject({ health: 'up', detail: '1/1 up' });
    expect(node(view, 'redis-lock')).toMatchObject({ health: 'degraded', detail: 'redis-lock-2 down' });
    const cacheDown = buildView(withMetrics({ redisUp: [sample({ instance: 'redis-cache:6379' }, 0)] }));
    expect(node(cacheDown, 'redis-cache')).toMatchObject({ health: 'down', healthLabel: 'DOWN' });
    expect(node(cacheDown, 'redis-lock')).toMatchObject({ health: 'unknown', healthLabel: 'NO PROBE' });
  });

  it('maps pg_up per target to its shard: primary and replica up UP, one down DEGRADED, both DOWN', () => {
    const view = buildView(
      withMetrics({
        pgUp: [
          sample({ instance: 'pg-0-primary:5432' }, 1),
          sample({ instance: 'pg-0-replica:5432' }, 1),
          sample({ instance: 'pg-1-primary:5432' }, 0),
          sample({ instance: 'pg-1-replica:5432' }, 1),
          sample({ instance: 'pg-10-primary:5432' }, 0), // no such node drawn: ignored
        ],
      }),
    );
    expect(node(view, 'pg-0')).toMatchObject({ health: 'up', detail: '2/2 up' });
    expect(node(view, 'pg-1')).toMatchObject({ health: 'degraded', detail: 'pg-1-primary down' });
    const down = buildView(
      withMetrics({
        pgUp: [sample({ instance: 'pg-1-primary:5432' }, 0), sample({ instance: 'pg-1-replica:5432' }, 0)],
      }),
    );
    expect(node(down, 'pg-1')).toMatchObject({ health: 'down', healthLabel: 'DOWN', detail: '2/2 down' });
    expect(node(down, 'pg-0')).toMatchObject({ health: 'up', detail: 'replica streaming' });
  });
});
