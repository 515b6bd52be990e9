import { createCoordinator, type Coordinator, type PrefixWatch } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import { createClientPlugin } from '@sdl/server';
import { createEntryParser, type HostSpec } from './host-spec.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The etcd client discovery watches; undefined when ETCD_ENDPOINTS is empty (static upstreams only). */
    etcd: Coordinator | undefined;
  }
}

/**
 * Discovery's etcd client as `app.etcd`, made from `endpoints` (none: discovery off) unless one
 * is passed in; `/readyz` checks it as `etcd`. Closed in onClose when the plugin made it.
 */
export const etcdPlugin = createClientPlugin({
  name: 'etcd',
  decorate: 'etcd',
  create: (options: { readonly endpoints: readonly string[]; readonly logger: Logger }) =>
    options.endpoints.length === 0
      ? undefined
      : createCoordinator({ endpoints: options.endpoints, logger: options.logger }),
  close: (coordinator) => coordinator.close(),
  ready: (coordinator, signal) => coordinator.ping(signal),
});

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
