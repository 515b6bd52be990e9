import { AppError, type ErrorSpec } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { createCoordinator, type Coordinator } from '@sdl/coord';
import { createClientPlugin } from './client-plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's one etcd client; undefined when ETCD_ENDPOINTS is empty. */
    etcd: Coordinator | undefined;
  }
}

/** `/readyz` answer while etcd does not answer a ping (a service that cannot work without it). */
export const etcdUnavailable = {
  code: 'COORD_ERR_ETCD_UNAVAILABLE',
  statusCode: 503,
  message: 'etcd did not answer',
  retriable: true,
} as const satisfies ErrorSpec;

export interface EtcdPluginOptions {
  /** etcd endpoints; empty: no client (`app.etcd` undefined). */
  readonly endpoints: readonly string[];
  readonly logger: Logger;
}

function etcdClientPlugin(readiness: boolean) {
  return createClientPlugin({
    name: 'etcd',
    decorate: 'etcd',
    create: (options: EtcdPluginOptions) =>
      options.endpoints.length === 0
        ? undefined
        : createCoordinator({ endpoints: options.endpoints, logger: options.logger }),
    close: (coordinator) => coordinator.close(),
    ...(readiness
      ? {
          ready: async (coordinator: Coordinator, signal: AbortSignal) => {
            try {
              await coordinator.ping(signal);
            } catch (err) {
              throw new AppError(etcdUnavailable, { cause: err });
            }
          },
        }
      : {}),
  });
}

/**
 * The etcd client as `app.etcd`, made from `endpoints` unless one is passed as `client` (tests;
 * then never closed here), closed in onClose. `/readyz` checks it as `etcd`: for services that
 * cannot work without etcd (the lb's discovery, the billing election).
 */
export const etcdPlugin = etcdClientPlugin(true);

/** The same client for a service that keeps serving without etcd (an api node): no readiness check. */
export const optionalEtcdPlugin = etcdClientPlugin(false);
