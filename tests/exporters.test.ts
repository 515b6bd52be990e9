import { afterAll, describe, expect, it, vi } from 'vitest';
import { promQuery } from './support/http.js';
import { chaos, waitReady } from './support/lab.js';

/**
 * What Prometheus scrapes beside the services (issue 13): etcd's own /metrics, and one exporter
 * container each for the five Redis and the four Postgres servers, every server its own target
 * (job and instance below are what the console and the game days read).
 */
const TARGETS = {
  etcd: ['etcd-1:2379', 'etcd-2:2379', 'etcd-3:2379'],
  redis: ['redis-cache:6379', 'redis-limiter:6379', 'redis-lock-1:6379', 'redis-lock-2:6379', 'redis-lock-3:6379'],
  postgres: ['pg-0-primary:5432', 'pg-0-replica:5432', 'pg-1-primary:5432', 'pg-1-replica:5432'],
};

/** instance -> value of an instant query, for the series of one job. */
async function byInstance(query: string): Promise<Record<string, string>> {
  const result = await promQuery(query);
  return Object.fromEntries(result.map((s) => [s.metric.instance!, s.value[1]]));
}

const all = (instances: string[], value: string) => Object.fromEntries(instances.map((i) => [i, value]));

// Exporters are scraped every 15 s: a change shows within two scrapes.
const SCRAPES = { timeout: 45_000, interval: 1000 };

describe('etcd and the exporters, as Prometheus sees them', () => {
  it('scrapes the three etcd members', async () => {
    await vi.waitFor(async () => {
      expect(await byInstance('up{job="etcd"}')).toEqual(all(TARGETS.etcd, '1'));
      // etcd's own series: one leader among the three (after an earlier file's etcd fault, once elected).
      const leaders = await byInstance('etcd_server_is_leader');
      expect(Object.keys(leaders).sort()).toEqual(TARGETS.etcd);
      expect(Object.values(leaders).filter((v) => v === '1')).toHaveLength(1);
    }, SCRAPES);
  });

  it('has redis_up and pg_up at 1 for every server, each scraped as its own target', async () => {
    await vi.waitFor(async () => {
      expect(await byInstance('up{job="redis"}')).toEqual(all(TARGETS.redis, '1'));
      expect(await byInstance('redis_up{job="redis"}')).toEqual(all(TARGETS.redis, '1'));
      expect(await byInstance('up{job="postgres"}')).toEqual(all(TARGETS.postgres, '1'));
      expect(await byInstance('pg_up{job="postgres"}')).toEqual(all(TARGETS.postgres, '1'));
    }, SCRAPES);
    // Each target is the server it names (not one server four times): only the primaries have a
    // replication slot (their replica's); the cache and the limiter have different memory limits.
    // In a wait too: a replica re-synced by an earlier test re-creates its slot, absent meanwhile.
    await vi.waitFor(async () => {
      const slots = await byInstance('pg_replication_slots_active{job="postgres"}');
      expect(Object.keys(slots).sort()).toEqual(['pg-0-primary:5432', 'pg-1-primary:5432']);
    }, SCRAPES);
    const maxmemory = await byInstance('redis_memory_max_bytes{job="redis"}');
    expect(maxmemory['redis-cache:6379']).not.toBe(maxmemory['redis-limiter:6379']);
  });

  describe('a server stopped', () => {
    afterAll(async () => {
      await chaos('start', 'redis-cache');
      await chaos('start', 'pg-1-replica');
      await waitReady(['redis-cache', 'pg-1-replica']);
    });

    it('shows as redis_up / pg_up 0 for that server only, and 1 again once it is back', async () => {
      await Promise.all([chaos('stop', 'redis-cache'), chaos('stop', 'pg-1-replica')]);
      await vi.waitFor(async () => {
        expect(await byInstance('redis_up{job="redis"}')).toEqual({
          ...all(TARGETS.redis, '1'),
          'redis-cache:6379': '0',
        });
        expect(await byInstance('pg_up{job="postgres"}')).toEqual({
          ...all(TARGETS.postgres, '1'),
          'pg-1-replica:5432': '0',
        });
      }, SCRAPES);
      await Promise.all([chaos('start', 'redis-cache'), chaos('start', 'pg-1-replica')]);
      await vi.waitFor(async () => {
        expect(await byInstance('redis_up{job="redis"}')).toEqual(all(TARGETS.redis, '1'));
        expect(await byInstance('pg_up{job="postgres"}')).toEqual(all(TARGETS.postgres, '1'));
      }, SCRAPES);
    });
  });
});
