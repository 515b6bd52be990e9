import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from 'pino';

export interface PrefixWatch {
  /** The entries as last seen. */
  readonly entries: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

interface WatchOptions {
  readonly client: Etcd3;
  readonly logger: Logger;
  readonly prefix: string;
  readonly onChange: (entries: ReadonlyMap<string, string>) => void;
}

// Read the prefix, then watch from the next revision so no change between the two is missed.
export async function watchPrefix(options: WatchOptions): Promise<PrefixWatch> {
  const { client, logger, prefix, onChange } = options;
  const entries = new Map<string, string>();
  const snapshot = await client.getAll().prefix(prefix).exec();
  for (const kv of snapshot.kvs) entries.set(kv.key.toString(), kv.value.toString());
  onChange(entries);

  const startRevision = String(BigInt(snapshot.header.revision) + 1n);
  const watcher: Watcher = await client.watch().prefix(prefix).startRevision(startRevision).create();
  watcher.on('put', (kv) => {
    entries.set(kv.key.toString(), kv.value.toString());
    onChange(entries);
  });
  watcher.on('delete', (kv) => {
    entries.delete(kv.key.toString());
    onChange(entries);
  });
  watcher.on('error', (err) => logger.warn({ err, prefix }, 'watch error; etcd3 reconnects'));
  return {
    entries,
    async close() {
      await watcher.cancel();
    },
  };
}
