import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '@sdl/errors';
import { PaymentsErrors } from '../errors.js';

/** An append-only file of JSON lines: every record resolved by append() is on disk (fsync'd). */
export interface LedgerFile<T> {
  /** The records found when the file was opened, in append order. */
  readonly loaded: readonly T[];
  /** Resolves once the record's line is written and fsync'd; concurrent appends share one fsync. */
  append(record: T): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Opens (or creates) the ledger at `path` and reads it back. A last line without its newline is a
 * write torn by a crash: it was never acknowledged (the answer waits for the fsync), so it is cut
 * off; any other unreadable line means the file is damaged and the provider refuses to start.
 */
export async function openLedgerFile<T>(path: string): Promise<LedgerFile<T>> {
  await mkdir(dirname(path), { recursive: true });
  const file: FileHandle = await open(path, 'a+');
  const loaded: T[] = [];
  try {
    const text = await file.readFile('utf8');
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) await file.truncate(Buffer.byteLength(text.slice(0, complete)));
    const lines = text.slice(0, complete).split('\n');
    lines.pop();
    lines.forEach((line, index) => {
      try {
        loaded.push(JSON.parse(line) as T);
      } catch (err) {
        throw new AppError(PaymentsErrors.ledgerCorrupt, { details: { path, line: index + 1 }, cause: err });
      }
    });
  } catch (err) {
    await file.close();
    throw err;
  }

  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  // Group commit: whatever queued while one write+fsync ran goes out in the next, together.
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await file.write(batch.map((p) => p.line).join(''));
        await file.datasync();
        for (const p of batch) p.resolve();
      } catch (err) {
        const failure = new AppError(PaymentsErrors.ledgerUnavailable, { cause: err });
        for (const p of batch) p.reject(failure);
      }
    }
    flushing = undefined;
  };

  return {
    loaded,
    append(record) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ line: `${JSON.stringify(record)}\n`, resolve, reject });
        flushing ??= flush();
      });
    },
    async close() {
      await flushing;
      await file.close();
    },
  };
}

/** A ledger that keeps nothing across restarts (LEDGER_PATH empty: unit tests, quick demos). */
export function memoryLedger<T>(): LedgerFile<T> {
  return { loaded: [], append: async () => undefined, close: async () => undefined };
}
