import type { AddressInfo } from 'node:net';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp } from '@sdl/server';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin listener beside the public one (see buildAdminApp). */
    gatewayAdmin: GatewayAdmin;
  }
}

export interface GatewayAdmin {
  /** The admin app: `/metrics`, `/healthz`, `/readyz` (tests inject into it). */
  readonly app: FastifyInstance;
  /** Listens the admin app on config.host:config.adminPort (main.ts, once the public app is ready). */
  listen(): Promise<AddressInfo>;
}

export interface AdminAppOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The public app's readiness, answered by the admin `/readyz` too. */
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
}

/**
 * The gateway's second listener (ADMIN_PORT): metrics and probes for the compose network, where
 * Prometheus scrapes it; compose does not publish it. The public listener serves no `/metrics` and
 * no admin route: what the edge counts is not the internet's to read. Closed with the public app.
 */
export function createGatewayAdmin(publicApp: FastifyInstance, options: AdminAppOptions): GatewayAdmin {
  const app = createApp({
    logger: options.logger.child({ component: 'admin' }),
    metrics: options.metrics,
    bodyLimit: 1024,
  });
  app.readiness.add('gateway', async () => {
    const result = await options.ready();
    if (!result.ok) throw new Error(`not ready: ${JSON.stringify(result.checks)}`);
  });
  publicApp.addHook('onClose', async () => {
    await app.close();
  });
  return {
    app,
    listen: async () => {
      await app.listen({ host: options.host, port: options.port });
      const address = app.server.address() as AddressInfo;
      options.logger.info({ port: address.port }, 'admin listening');
      return address;
    },
  };
}
