import type { AdminListener } from '@sdl/server';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The gateway's admin listener (ADMIN_PORT, @sdl/server's createAdminListener): metrics and
     * probes for the compose network, where Prometheus scrapes it. The public listener serves no
     * `/metrics` and no admin route: what the edge counts is not the internet's to read.
     */
    gatewayAdmin: AdminListener;
  }
}
