import type { Coordinator, PrefixWatch } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import { createEntryParser, type HostSpec } from './host-spec.js';

// The etcd client is @sdl/coord's etcdPlugin (`app.etcd`, checked by /readyz).

export interface DiscoveryOptions {
  readonly coordinator: Coordinator;
  readonly prefix: string;
  readonly logger: Logger;
  readonly onHosts: (specs: HostSpec[]) => void;
  /** Delay before retrying a watch that could not be set up (default 1000 ms). */
  readonly retryMs?: number;
}

export interface Discovery {
  close(): Promise<void>;
}

/**
 * Watches the api nodes' registrations. If etcd is unreachable at boot the watch is retried in
 * the background (the lb still serves static upstreams meanwhile, and /readyz says etcd is down);
 * once set up, etcd3 re-establishes the watch itself and the last known hosts are kept.
 */
export function startDiscovery(options: DiscoveryOptions): Discovery {
  const { coordinator, prefix, onHosts } = options;
  const log = options.logger.child({ component: 'discovery' });
  const parse = createEntryParser(log);
  let watch: PrefixWatch | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const attempt = async (): Promise<void> => {
    try {
      const started = await coordinator.watchPrefix(prefix, (entries) => onHosts(parse(entries)));
      if (closed) await started.close();
      else {
        watch = started;
        log.info({ prefix, hosts: started.entries.size }, 'watching upstream registrations');
      }
    } catch (err) {
      if (closed) return;
      log.warn({ err, prefix }, 'cannot watch upstream registrations; retrying');
      retry = setTimeout(() => void attempt(), options.retryMs ?? 1000);
      retry.unref();
    }
  };
  void attempt();

  return {
    // An attempt still in flight closes its own watch when it lands (see `closed` above).
    async close() {
      closed = true;
      clearTimeout(retry);
      await watch?.close();
    },
  };
}
