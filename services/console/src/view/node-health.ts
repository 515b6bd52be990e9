import type { ClusterStatus, LbHost, Sample } from '../sources/cluster-status.js';
import type { Health } from './topology.js';

export interface NodeState {
  readonly health: Health;
  readonly detail: string;
}

/** A series' samples this round, or [] when Prometheus did not answer. */
export function samples(status: ClusterStatus, name: string): readonly Sample[] {
  return status.metrics.ok ? (status.metrics.value[name] ?? []) : [];
}

/** The one value of an aggregated series (no labels), or undefined. */
export function scalar(status: ClusterStatus, name: string): number | undefined {
  return samples(status, name)[0]?.value;
}

/** Prometheus's `up` for a node (by its `node` label): true, false, or undefined if not scraped. */
export function scrapedUp(status: ClusterStatus, node: string): boolean | undefined {
  const s = samples(status, 'up').find((x) => x.labels.node === node || x.labels.instance?.startsWith(`${node}:`));
  return s === undefined ? undefined : s.value === 1;
}

/** The lb's word for a host: healthy, ejected, warming up, unhealthy. */
export function hostState(host: LbHost): { state: 'healthy' | 'ejected' | 'warming' | 'unhealthy'; label: string } {
  if (!host.healthy) return { state: 'unhealthy', label: 'unhealthy (health checks failing)' };
  if (host.ejected === true) return { state: 'ejected', label: 'ejected (outlier detection)' };
  if (host.effectiveWeight !== undefined)
    return { state: 'warming', label: `warming up (weight ${host.effectiveWeight})` };
  return { state: 'healthy', label: 'healthy' };
}

/**
 * An api node: the lb's view first (it notices a dead node within a health-check interval), then
 * its etcd registration, then Prometheus's last scrape. Any "down" signal wins over "up".
 */
export function apiHealth(status: ClusterStatus, node: string): NodeState {
  const host = status.lb.ok ? status.lb.value.hosts.find((h) => h.id === node) : undefined;
  const registered = status.registrations.ok ? node in status.registrations.value : undefined;
  if (host !== undefined) {
    const { state, label } = hostState(host);
    if (state === 'unhealthy') return { health: 'down', detail: label };
    if (state === 'ejected') return { health: 'degraded', detail: label };
    if (scrapedUp(status, node) === false) return { health: 'degraded', detail: 'lb healthy, scrape failing' };
    return { health: 'up', detail: state === 'warming' ? 'warming up' : 'healthy in the lb' };
  }
  if (registered === false) return { health: 'down', detail: 'not registered in etcd' };
  if (status.lb.ok) return { health: 'down', detail: 'not in the lb' };
  const up = scrapedUp(status, node);
  return up === undefined ? { health: 'unknown', detail: 'lb unreadable' } : fromUp(up);
}

/** An app the console can only see through Prometheus's scrape. */
export function fromUp(up: boolean | undefined): NodeState {
  if (up === undefined) return { health: 'unknown', detail: 'not scraped' };
  return up ? { health: 'up', detail: 'scrape ok' } : { health: 'down', detail: 'scrape failing' };
}

/** A read of the console's own that succeeded or not (the lb's admin API, etcd, a billing status). */
export function fromRead(ok: boolean, okDetail: string, error: string): NodeState {
  return ok ? { health: 'up', detail: okDetail } : { health: 'down', detail: error };
}

/** A value seen by the api nodes (1 = up), e.g. api_cache_up or api_replica_up. */
export function fromGauge(value: number | undefined, what: string): NodeState {
  if (value === undefined) return { health: 'unknown', detail: `no ${what} series` };
  return value >= 1 ? { health: 'up', detail: `${what} ok` } : { health: 'down', detail: `${what} failing` };
}
