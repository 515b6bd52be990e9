import type { Logger } from 'pino';
import { Etcd3 } from 'etcd3';
import { Campaign, type CampaignOptions } from './campaign.js';
import { abortable } from './key-watch.js';
import { register, type Registration, type RegistrationHandle } from './registration.js';
import { watchPrefix, type PrefixWatch } from './prefix-watch.js';

export interface CoordinatorOptions {
  /** etcd endpoints, e.g. `http://etcd-1:2379`. */
  readonly endpoints: readonly string[];
  readonly logger: Logger;
  /** gRPC dial timeout, ms (default 2000). Note: etcd3 1.x ignores it; callTimeoutMs bounds calls. */
  readonly dialTimeoutMs?: number;
  /**
   * Deadline of each unary etcd call, ms (default 2000). Without one a call to an etcd that
   * accepts connections but does not answer (paused, partitioned) would wait forever.
   */
  readonly callTimeoutMs?: number;
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
  /**
   * Writes `value` only if the key still holds `expected` (undefined: only if the key is absent),
   * in one etcd transaction; false when someone else changed it first (read again and retry).
   */
  compareAndPut(key: string, expected: string | undefined, value: string): Promise<boolean>;
  /** Resolves when etcd answers (readiness). */
  ping(signal?: AbortSignal): Promise<void>;
  /**
   * Stops every campaign, registration and watch made here, then closes the client. Nothing is
   * revoked: keys lapse after their TTL, as if the process had died. Resign or revoke first for a
   * graceful hand-over.
   */
  close(): Promise<void>;
}

export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const callTimeoutMs = options.callTimeoutMs ?? 2000;
  const client = new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.dialTimeoutMs ?? 2000,
    // Streams (watches, keep-alives) live on; one-shot calls get a deadline each.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
  });
  const logger = options.logger.child({ component: 'coord' });
  const campaigns = new Set<Campaign>();
  const registrations = new Set<RegistrationHandle>();
  const watches = new Set<PrefixWatch>();

  return {
    async register(key, value, ttlSeconds) {
      const registration = await register({ client, logger, key, value, ttlSeconds });
      registrations.add(registration);
      return {
        key,
        async revoke() {
          registrations.delete(registration);
          await registration.revoke();
        },
      };
    },
    async watchPrefix(prefix, onChange) {
      const watch = await watchPrefix({ client, logger, prefix, onChange });
      watches.add(watch);
      return {
        entries: watch.entries,
        async close() {
          watches.delete(watch);
          await watch.close();
        },
      };
    },
    campaign(campaignOptions) {
      // The campaign names its own component (a second `component` key would duplicate it).
      const campaign = new Campaign({ ...campaignOptions, client, logger: options.logger });
      campaigns.add(campaign);
      return campaign;
    },
    async get(key) {
      return (await client.get(key).string()) ?? undefined;
    },
    async put(key, value) {
      await client.put(key).value(value);
    },
    async compareAndPut(key, expected, value) {
      const txn = expected === undefined ? client.if(key, 'Create', '==', 0) : client.if(key, 'Value', '==', expected);
      const { succeeded } = await txn.then(client.put(key).value(value)).commit();
      return succeeded;
    },
    async ping(signal) {
      const read = client.get('/sdl/ping').string();
      await (signal === undefined ? read : abortable(read, signal));
    },
    async close() {
      for (const campaign of campaigns) campaign.release();
      for (const registration of registrations) registration.release();
      // A watch cancel waits for etcd; closing the client below ends the streams anyway.
      for (const watch of watches) void watch.close().catch(() => undefined);
      campaigns.clear();
      registrations.clear();
      watches.clear();
      client.close();
    },
  };
}
