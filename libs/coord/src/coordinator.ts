import type { Logger } from 'pino';
import { Etcd3 } from 'etcd3';
import { Campaign, type CampaignOptions } from './campaign.js';
import { register, type Registration } from './registration.js';
import { watchPrefix, type PrefixWatch } from './prefix-watch.js';

export interface CoordinatorOptions {
  /** etcd endpoints, e.g. `http://etcd-1:2379`. */
  readonly endpoints: readonly string[];
  readonly logger: Logger;
  /** gRPC dial timeout, ms (default 2000). */
  readonly dialTimeoutMs?: number;
}

/**
 * The lab's only view of etcd (etcd3 is barely maintained; this interface is what would have to be
 * re-implemented to replace it): service registration under leases, prefix watches, elections.
 */
export interface Coordinator {
  /** Puts `key=value` under a lease of `ttlSeconds`, kept alive (and re-created if lost) until revoked. */
  register(key: string, value: string, ttlSeconds: number): Promise<Registration>;
  /** Calls `onChange` with the whole prefix now and after every change. */
  watchPrefix(prefix: string, onChange: (entries: ReadonlyMap<string, string>) => void): Promise<PrefixWatch>;
  /** Starts campaigning in an election; see Campaign. */
  campaign(options: Omit<CampaignOptions, 'client' | 'logger'>): Campaign;
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  /** Resolves when etcd answers (readiness). */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const client = new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.dialTimeoutMs ?? 2000,
  });
  const logger = options.logger.child({ component: 'coord' });
  return {
    register: (key, value, ttlSeconds) => register({ client, logger, key, value, ttlSeconds }),
    watchPrefix: (prefix, onChange) => watchPrefix({ client, logger, prefix, onChange }),
    campaign: (campaignOptions) => new Campaign({ ...campaignOptions, client, logger }),
    async get(key) {
      return (await client.get(key).string()) ?? undefined;
    },
    async put(key, value) {
      await client.put(key).value(value);
    },
    async ping() {
      await client.get('/sdl/ping').string();
    },
    async close() {
      client.close();
    },
  };
}
