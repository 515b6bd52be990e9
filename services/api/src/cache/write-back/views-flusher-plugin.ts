import type { Logger } from '@sdl/logging';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ViewCounter } from './view-counter.js';

export interface ViewsFlusherOptions {
  readonly views: ViewCounter;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/**
 * Flushes the write-back view counters every `intervalMs` once ready, and one last time in
 * preClose, while Redis and the shard pools (closed in onClose) are still open.
 */
export const viewsFlusherPlugin = fp<ViewsFlusherOptions>(
  async (app: FastifyInstance, options) => {
    const log = options.logger.child({ component: 'views-flusher' });
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void> | undefined;
    let stopped = false;

    const flushOnce = async (): Promise<void> => {
      try {
        const posts = await options.views.flush();
        if (posts > 0) log.debug({ posts }, 'view counters flushed');
      } catch (err) {
        log.warn({ err }, 'view flush failed; retrying next interval');
      }
    };
    const schedule = (): void => {
      if (stopped) return;
      timer = setTimeout(() => {
        current = flushOnce().finally(() => {
          current = undefined;
          schedule();
        });
      }, options.intervalMs);
      timer.unref();
    };

    app.addHook('onReady', async () => schedule());
    app.addHook('preClose', async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
      await flushOnce();
    });
  },
  { name: 'views-flusher' },
);
