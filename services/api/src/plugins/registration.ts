import { setTimeout as sleep } from 'node:timers/promises';
import type { Registration } from '@sdl/coord';
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

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
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
    const coordinator = app.coord;
    if (coordinator === undefined) return;
    const log = options.logger.child({ component: 'registration', key: options.key });
    const stop = new AbortController();
    let registration: Registration | undefined;
    let loop: Promise<void> | undefined;

    const registerUntilDone = async (): Promise<void> => {
      for (let delay = RETRY_MIN_MS; !stop.signal.aborted; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
        try {
          const made = await coordinator.register(options.key, options.value, options.ttlSeconds);
          // Shutdown began while etcd was answering: take the key straight back.
          if (stop.signal.aborted) {
            await made.revoke();
            return;
          }
          registration = made;
          log.info({ value: options.value }, 'registered');
          return;
        } catch (err) {
          log.warn({ err, retryInMs: delay }, 'registration failed; retrying');
          await sleep(delay, undefined, { signal: stop.signal }).catch(() => undefined);
        }
      }
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
  { name: 'registration', dependencies: ['coordinator'] },
);
