import type { Coordinator, PrefixWatch } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { Read, StoredShardMap } from './cluster-status.js';

export interface EtcdSourceOptions {
  /** The console's etcd client (app.etcd); undefined: both reads answer "etcd not configured". */
  readonly coordinator: Coordinator | undefined;
  readonly shardMapKey: string;
  readonly registryPrefix: string;
  readonly logger: Logger;
}

/** What etcd holds for the page, kept current by two watches (no polling of etcd). */
export interface EtcdSource {
  shardMap(): Read<StoredShardMap | undefined>;
  registrations(): Read<Readonly<Record<string, string>>>;
  close(): Promise<void>;
}

const notYet: Read<never> = { ok: false, error: 'not read yet' };

/** Watches the shard map key and the api registry prefix; each read answers the latest value seen. */
export function createEtcdSource(options: EtcdSourceOptions): EtcdSource {
  const { coordinator } = options;
  if (coordinator === undefined) {
    const off: Read<never> = { ok: false, error: 'etcd not configured' };
    return { shardMap: () => off, registrations: () => off, close: async () => {} };
  }
  const log = options.logger.child({ component: 'etcd-source' });
  let shardMap: Read<StoredShardMap | undefined> = notYet;
  let registrations: Read<Readonly<Record<string, string>>> = notYet;
  const watches: Promise<PrefixWatch | undefined>[] = [
    coordinator
      .watchPrefix(options.shardMapKey, (entries) => {
        const raw = entries.get(options.shardMapKey);
        try {
          shardMap = { ok: true, value: raw === undefined ? undefined : (JSON.parse(raw) as StoredShardMap) };
        } catch {
          shardMap = { ok: false, error: 'shard map is not JSON' };
        }
      })
      .catch((err: unknown) => {
        log.warn({ err }, 'cannot watch the shard map');
        shardMap = { ok: false, error: 'etcd watch failed' };
        return undefined;
      }),
    coordinator
      .watchPrefix(options.registryPrefix, (entries) => {
        const nodes: Record<string, string> = {};
        for (const [key, value] of entries) {
          try {
            const entry = JSON.parse(value) as { id?: string; url?: string };
            nodes[entry.id ?? key.slice(options.registryPrefix.length)] = entry.url ?? '';
          } catch {
            nodes[key.slice(options.registryPrefix.length)] = '';
          }
        }
        registrations = { ok: true, value: nodes };
      })
      .catch((err: unknown) => {
        log.warn({ err }, 'cannot watch the api registry');
        registrations = { ok: false, error: 'etcd watch failed' };
        return undefined;
      }),
  ];
  return {
    shardMap: () => shardMap,
    registrations: () => registrations,
    close: async () => {
      for (const watch of await Promise.all(watches)) await watch?.close();
    },
  };
}
