import type { Logger } from '@sdl/logging';
import closeWithGrace, { type AllEvents } from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** How long in-flight requests may drain after SIGTERM before the process exits (default 10000 ms). */
  readonly graceMs?: number;
  /** Runs after the server stopped accepting and drained (close clients here if not in onClose). */
  readonly onShutdown?: () => Promise<void>;
  /** Signals that must not shut the process down (close-with-grace's list includes SIGUSR2); default none. */
  readonly keepSignals?: readonly Extract<AllEvents, `SIG${string}`>[];
}

/**
 * Listens, then on SIGTERM/SIGINT (or an uncaught error) stops accepting, drains in-flight
 * requests, runs every onClose hook (clients close themselves) and lets the process end.
 */
export async function listenWithGrace(app: FastifyInstance, options: ListenOptions): Promise<void> {
  const skip = [...(options.keepSignals ?? [])];
  closeWithGrace({ delay: options.graceMs ?? 10_000, logger: options.logger, skip }, async ({ signal, err }) => {
    if (err !== undefined) options.logger.error({ err }, 'shutting down after error');
    else options.logger.info({ signal }, 'shutting down');
    await app.close();
    await options.onShutdown?.();
  });
  await app.listen({ host: options.host, port: options.port });
}
