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
  /** Pause before reading the prefix again after etcd cancelled the watch, ms (default 1000). */
  readonly retryMs?: number;
}

/**
 * Read the prefix, then watch from the next revision so no change between the two is missed.
 * etcd3 resumes a watch across reconnects by itself; when etcd cancels it instead (its start
 * revision was compacted away), the prefix is read and watched afresh, or the caller would never
 * hear of a change again. The first read's failure is the caller's to handle.
 */
export async function watchPrefix(options: WatchOptions): Promise<PrefixWatch> {
  const { client, logger, prefix, onChange } = options;
  const retryMs = options.retryMs ?? 1000;
  const entries = new Map<string, string>();
  let watcher: Watcher | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const resyncLater = (): void => {
    if (closed) return;
    clearTimeout(retry);
    retry = setTimeout(() => {
      sync().catch((err: unknown) => {
        logger.warn({ err, prefix }, 'prefix read failed; retrying');
        resyncLater();
      });
    }, retryMs);
  };

  const sync = async (): Promise<void> => {
    const snapshot = await client.getAll().prefix(prefix).exec();
    const startRevision = String(BigInt(snapshot.header.revision) + 1n);
    const next = await client.watch().prefix(prefix).startRevision(startRevision).create();
    if (closed) {
      await next.cancel();
      return;
    }
    entries.clear();
    for (const kv of snapshot.kvs) entries.set(kv.key.toString(), kv.value.toString());
    watcher = next;
    next.on('put', (kv) => {
      entries.set(kv.key.toString(), kv.value.toString());
      onChange(entries);
    });
    next.on('delete', (kv) => {
      entries.delete(kv.key.toString());
      onChange(entries);
    });
    next.on('disconnected', (err) => logger.warn({ err, prefix }, 'watch disconnected; etcd3 reconnects'));
    next.on('error', (err) => {
      logger.warn({ err, prefix }, 'watch cancelled by etcd; reading the prefix again');
      if (watcher === next) watcher = undefined;
      resyncLater();
    });
    onChange(entries);
  };

  await sync();
  return {
    entries,
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = watcher;
      watcher = undefined;
      await current?.cancel();
    },
  };
}
