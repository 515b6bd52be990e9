import { setTimeout as sleep } from 'node:timers/promises';
import type { Registration } from '@sdl/coord';
import { retry } from '@sdl/retry';
import type { Logger } from '@sdl/logging';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface RegistrationPluginOptions {
  /** `REGISTRY_PREFIX + NODE_ID`. */
  readonly key: string;
  /** JSON `{ id, url, weight }`, what the lb reads. */
  readonly value: string;
  readonly ttlSeconds: number;
  readonly logger: Logger;
}

const RETRY = { minMs: 500, maxMs: 5000 } as const;
// On shutdown, a registration attempt still hanging on an unreachable etcd is not waited for longer.
const CLOSE_WAIT_MS = 2000;

/**
 * Registers this node in etcd under a lease once the server is listening (never before: the lb
 * would send traffic to a closed port), retrying with backoff while etcd is unreachable. On
 * shutdown the lease is revoked first, in preClose, so the lb stops routing here while in-flight
 * requests still drain.
 */
export const registrationPlugin = fp<RegistrationPluginOptions>(
  async (app: FastifyInstance, options) => {
    // No etcd (the coordinator plugin made none): registration is off (a node run alone, or
    // behind a static lb).
    const coordinator = app.etcd;
    if (coordinator === undefined) return;
    const log = options.logger.child({ component: 'registration', key: options.key });
    const stop = new AbortController();
    let registration: Registration | undefined;
    let loop: Promise<void> | undefined;

    const registerUntilDone = async (): Promise<void> => {
      const made = await retry(() => coordinator.register(options.key, options.value, options.ttlSeconds), {
        ...RETRY,
        signal: stop.signal,
        onRetry: (err, _attempt, retryInMs) => log.warn({ err, retryInMs }, 'registration failed; retrying'),
      }).catch(() => undefined); // only an abort ends the retries early: shutdown, nothing to do
      if (made === undefined) return;
      // Shutdown began while etcd was answering: take the key straight back.
      if (stop.signal.aborted) {
        await made.revoke();
        return;
      }
      registration = made;
      log.info({ value: options.value }, 'registered');
    };

    app.addHook('onListen', async () => {
      loop ??= registerUntilDone();
    });
    app.addHook('preClose', async () => {
      stop.abort();
      if (loop !== undefined) await Promise.race([loop, sleep(CLOSE_WAIT_MS)]);
      await registration?.revoke();
      if (registration !== undefined) log.info('deregistered');
      registration = undefined;
    });
  },
  { name: 'registration', dependencies: ['etcd'] },
);
