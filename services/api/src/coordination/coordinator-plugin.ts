import { createCoordinator, type Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The etcd coordinator; undefined when ETCD_ENDPOINTS is empty (a node run alone). */
    coord: Coordinator | undefined;
  }
}

export interface CoordinatorPluginOptions {
  readonly endpoints: readonly string[];
  /** An existing coordinator (tests); the plugin then leaves closing it to the caller. */
  readonly coordinator?: Coordinator;
  readonly logger: Logger;
}

/** One etcd client per node, shared by registration and the shard map; closed last, in onClose. */
export const coordinatorPlugin = fp<CoordinatorPluginOptions>(
  async (app: FastifyInstance, options) => {
    const owned = options.coordinator === undefined && options.endpoints.length > 0;
    const coordinator =
      options.coordinator ??
      (owned ? createCoordinator({ endpoints: options.endpoints, logger: options.logger }) : undefined);
    app.decorate('coord', coordinator);
    if (owned) app.addHook('onClose', async () => coordinator?.close());
  },
  { name: 'coordinator' },
);
