import type { Logger } from '@sdl/logging';
import type { HostSource, HostSpec } from './host-spec.js';
import { UpstreamHost, type HealthThresholds, type PoolSettings, type WarmupSettings } from './upstream-host.js';

export interface UpstreamSetOptions {
  readonly logger: Logger;
  readonly pool: PoolSettings;
  readonly health: HealthThresholds;
  /** Slow start for hosts joining a running set. Default: none (slowStartMs 0). */
  readonly warmup?: WarmupSettings;
}

/** The live set of upstreams, merged from every source; pools open and close as hosts come and go. */
export interface UpstreamSet {
  /** Replaces every host of `source` with `specs` (a host keeps its pool and health if its url is unchanged). */
  reconcile(source: HostSource, specs: readonly HostSpec[]): void;
  /** All hosts, sorted by id (strategies rely on a stable order). */
  list(): readonly UpstreamHost[];
  /** Closes every pool after its in-flight requests. */
  close(): Promise<void>;
}

export function createUpstreamSet(options: UpstreamSetOptions): UpstreamSet {
  const log = options.logger.child({ component: 'upstreams' });
  const hosts = new Map<string, UpstreamHost>();
  let sorted: readonly UpstreamHost[] = [];
  const closing = new Set<Promise<void>>();

  const onHealth = (host: UpstreamHost, reason: string) => {
    if (host.healthy) log.info({ upstream: host.id, reason }, 'upstream healthy');
    else log.warn({ upstream: host.id, reason, failures: host.consecutiveFailures }, 'upstream unhealthy');
  };

  // Closing waits for the host's in-flight requests (pool.close), so it runs in the background.
  const retire = (host: UpstreamHost, why: string) => {
    hosts.delete(host.id);
    log.info({ upstream: host.id, url: host.url, source: host.source, why }, 'upstream removed');
    const done = host
      .close()
      .catch((err: unknown) => log.warn({ err, upstream: host.id }, 'closing upstream pool failed'))
      .finally(() => closing.delete(done));
    closing.add(done);
  };

  return {
    reconcile(source, specs) {
      const wanted = new Map(specs.map((spec) => [spec.id, spec]));
      for (const host of [...hosts.values()]) {
        if (host.source !== source) continue;
        const spec = wanted.get(host.id);
        if (spec === undefined) retire(host, 'deregistered');
        else if (spec.url !== host.url) retire(host, 'url changed');
        else host.setWeight(spec.weight);
      }
      for (const spec of wanted.values()) {
        const existing = hosts.get(spec.id);
        if (existing !== undefined) {
          if (existing.source !== source) {
            log.warn({ upstream: spec.id, kept: existing.source, ignored: source }, 'host id claimed by two sources');
          }
          continue;
        }
        // Hosts joining a running set warm up; the first hosts (at boot) start at full weight.
        const warmup = { slowStartMs: options.warmup?.slowStartMs ?? 0, warmNow: sorted.length > 0 };
        hosts.set(spec.id, new UpstreamHost(spec, source, options.pool, options.health, onHealth, warmup));
        log.info({ upstream: spec.id, url: spec.url, weight: spec.weight, source }, 'upstream added');
      }
      sorted = [...hosts.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    list: () => sorted,
    async close() {
      for (const host of [...hosts.values()]) retire(host, 'shutting down');
      sorted = [];
      await Promise.all([...closing]);
    },
  };
}
