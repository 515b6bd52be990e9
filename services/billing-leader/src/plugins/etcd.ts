import { createCoordinator, type Coordinator } from '@sdl/coord';
import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { BillingErrors } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    coordinator: Coordinator;
  }
}

export interface EtcdPluginOptions {
  readonly endpoints: readonly string[];
  readonly logger: Logger;
  /** An existing coordinator (tests); when given, the plugin does not close it. */
  readonly coordinator?: Coordinator;
}

/**
 * The etcd coordinator as `app.coordinator`, with the service's only readiness check: a replica
 * that cannot reach etcd can neither lead nor know who does. Closed last, in onClose, after the
 * leadership was handed over in preClose.
 */
export const etcdPlugin = fp<EtcdPluginOptions>(
  async (app: FastifyInstance, options) => {
    const owned = options.coordinator === undefined;
    const coordinator =
      options.coordinator ?? createCoordinator({ endpoints: options.endpoints, logger: options.logger });
    app.decorate('coordinator', coordinator);
    app.readiness.add('etcd', async (signal) => {
      try {
        await coordinator.ping(signal);
      } catch (err) {
        throw new AppError(BillingErrors.etcdUnavailable, { cause: err });
      }
    });
    app.addHook('onClose', async () => {
      if (owned) await coordinator.close();
    });
  },
  { name: 'etcd' },
);
