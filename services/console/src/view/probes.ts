import type { ClusterStatus, Sample } from '../sources/cluster-status.js';
import { samples, type NodeState } from './node-health.js';

/** One member of a store as its exporter or scrape sees it. */
export interface Member {
  readonly name: string;
  readonly up: boolean;
}

/**
 * The members of one drawn node among an exporter's samples: those with a label value (instance,
 * target, addr...) naming one of its hosts, e.g. `instance="pg-0-primary:5432"` or
 * `target="redis://redis-cache:6379"`. The exporters' labels are not fixed, so any label counts.
 */
export function membersOf(list: readonly Sample[], host: RegExp, keepUnnamed = false): Member[] {
  const found = new Map<string, boolean>();
  for (const s of list) {
    const named = Object.values(s.labels)
      .map((value) => host.exec(value)?.[0])
      .find((name) => name !== undefined);
    // A sample of the right job whose labels name no compose host (e.g. an IP) counts under its instance.
    const name = named ?? (keepUnnamed ? (s.labels.instance ?? '?') : undefined);
    if (name !== undefined) found.set(name, (found.get(name) ?? false) || s.value >= 1);
  }
  return [...found].map(([name, up]) => ({ name, up })).sort((a, b) => a.name.localeCompare(b.name));
}

/** UP when every member is up, DEGRADED when some are, DOWN when none; undefined without members. */
export function fromMembers(members: readonly Member[]): NodeState | undefined {
  if (members.length === 0) return undefined;
  const down = members.filter((m) => !m.up).map((m) => m.name);
  const upCount = members.length - down.length;
  if (down.length === 0) return { health: 'up', detail: `${upCount}/${members.length} up` };
  if (upCount === 0) return { health: 'down', detail: `${down.length}/${members.length} down` };
  return { health: 'degraded', detail: `${down.join(', ')} down` };
}

/** A compose host name as a whole word: `redis-cache` but not `redis-cache-data`. */
const hostPattern = (names: string) => new RegExp(`(?<![\\w-])(?:${names})(?![\\w-])`);

/**
 * The stores' health from their exporters, when Prometheus scrapes them: etcd's own /metrics (job
 * `etcd`), `redis_up` and `pg_up` per target. A node whose series are absent is left out (the
 * caller keeps what it knew: NO PROBE, or the console's own reads).
 */
export function probedStates(status: ClusterStatus): Record<string, NodeState> {
  const etcdUp = samples(status, 'up').filter((s) => s.labels.job === 'etcd');
  const states: Record<string, NodeState | undefined> = {
    etcd: fromMembers(membersOf(etcdUp, hostPattern('etcd-\\d+'), true)),
    'redis-cache': fromMembers(membersOf(samples(status, 'redisUp'), hostPattern('redis-cache'))),
    'redis-lock': fromMembers(membersOf(samples(status, 'redisUp'), hostPattern('redis-lock-\\d+'))),
  };
  for (const shard of shardsIn(samples(status, 'pgUp'))) {
    states[`pg-${shard}`] = fromMembers(
      membersOf(samples(status, 'pgUp'), hostPattern(`pg-${shard}-(?:primary|replica)`)),
    );
  }
  return Object.fromEntries(Object.entries(states).filter((e): e is [string, NodeState] => e[1] !== undefined));
}

/** The shard numbers named by pg exporter targets (`pg-1-replica` -> 1). */
function shardsIn(list: readonly Sample[]): number[] {
  const shards = new Set<number>();
  for (const s of list) {
    for (const value of Object.values(s.labels)) {
      const match = hostPattern('pg-(\\d+)-(?:primary|replica)').exec(value);
      if (match !== null) shards.add(Number(match[1]));
    }
  }
  return [...shards].sort((a, b) => a - b);
}
