import { createCoordinator, type Coordinator } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import { createClientPlugin } from '@sdl/server';

declare module 'fastify' {
  interface FastifyInstance {
    /** The etcd coordinator; undefined when ETCD_ENDPOINTS is empty (a node run alone). */
    etcd: Coordinator | undefined;
  }
}

/**
 * One etcd client per node as `app.etcd`, shared by registration and the shard map; made from
 * `endpoints` (none: no etcd) unless one is passed in, closed in onClose when the plugin made it.
 * Not a readiness check: a node serves without etcd (it then keeps the map it has).
 */
export const coordinatorPlugin = createClientPlugin({
  name: 'etcd',
  decorate: 'etcd',
  create: (options: { readonly endpoints: readonly string[]; readonly logger: Logger }) =>
    options.endpoints.length === 0
      ? undefined
      : createCoordinator({ endpoints: options.endpoints, logger: options.logger }),
  close: (coordinator) => coordinator.close(),
});
