import type { Etcd3, Watcher } from 'etcd3';

/** Resolves with `promise`, or rejects with the signal's reason as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

// Cancelling must never block the caller: with etcd unreachable a cancel waits for a reconnect.
function cancelLater(watcher: Promise<Watcher>): void {
  watcher.then((w) => w.cancel()).catch(() => undefined);
}

/**
 * Resolves when `key` is deleted at or after `fromRevision` (so a delete between the caller's read
 * and this watch is replayed, not missed). Rejects when etcd cancels the watch (for example the
 * revision was compacted) or `signal` aborts; the watch is cancelled either way.
 */
export async function waitForDelete(
  client: Etcd3,
  key: string,
  fromRevision: string,
  signal: AbortSignal,
): Promise<void> {
  const creating = client.watch().key(key).startRevision(fromRevision).create();
  // create() itself rejects on an early error; this keeps a later one from being unhandled.
  creating.then((w) => w.on('error', () => undefined)).catch(() => undefined);
  try {
    const watcher = await abortable(creating, signal);
    await abortable(
      new Promise<void>((resolve, reject) => {
        watcher.once('delete', () => resolve());
        watcher.once('error', reject);
      }),
      signal,
    );
  } finally {
    cancelLater(creating);
  }
}
