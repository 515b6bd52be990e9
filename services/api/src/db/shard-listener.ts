import { createBackoff } from '@sdl/retry';
import type { Logger } from '@sdl/logging';
import pg from 'pg';

export interface ShardListenerOptions {
  /** The shard primary's URL, asked at each (re)connect: a repointed shard is listened on at its new primary. */
  readonly url: () => string;
  /** The channel to LISTEN on (a plain identifier). */
  readonly channel: string;
  /**
   * Called for each notification, and once after every (re)connect: notifications sent while no
   * one listened are lost, so the caller catches up then.
   */
  readonly onWake: () => void;
  readonly logger: Logger;
  /** Reconnect backoff, ms (default 200 to 5000). */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

export interface ShardListener {
  /** True while a LISTEN connection is up. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * A dedicated connection (not from the pool: a LISTEN belongs to its session) that LISTENs on one
 * channel of one shard and reconnects with backoff when the server goes away.
 */
export function createShardListener(options: ShardListenerOptions): ShardListener {
  const backoff = createBackoff({ minMs: options.backoff?.minMs ?? 200, maxMs: options.backoff?.maxMs ?? 5000 });
  const log = options.logger;
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const retryLater = (): void => {
    listening = false;
    if (closed || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, backoff.next());
    timer.unref();
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const c = new pg.Client({ connectionString: options.url(), keepAlive: true, application_name: 'sdl-api-listen' });
    client = c;
    c.on('notification', () => options.onWake());
    c.on('error', (err) => {
      log.warn({ err, channel: options.channel }, 'listen connection failed');
      void c.end().catch(() => undefined);
      retryLater();
    });
    c.on('end', retryLater);
    try {
      await c.connect();
      await c.query(`LISTEN ${options.channel}`);
      if (closed) return void (await c.end().catch(() => undefined));
      listening = true;
      backoff.reset();
      options.onWake();
    } catch (err) {
      log.warn({ err, channel: options.channel }, 'could not listen; retrying');
      void c.end().catch(() => undefined);
      retryLater();
    }
  }

  void connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      listening = false;
      await client?.end().catch(() => undefined);
    },
  };
}
