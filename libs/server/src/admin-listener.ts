import type { AddressInfo } from 'node:net';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { createApp } from './create-app.js';

/** A second listener beside a service's public one, for the compose network only. */
export interface AdminListener {
  /** The admin app: `/metrics`, `/healthz`, `/readyz` and the service's admin routes (tests inject into it). */
  readonly app: FastifyInstance;
  /** Listens the admin app on host:port (main.ts, once the public app is ready). */
  listen(): Promise<AddressInfo>;
}

export interface AdminListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The public app's readiness, answered by the admin `/readyz` too. */
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** Largest request body, bytes (default 1024: admin bodies are small). */
  readonly bodyLimit?: number;
}

/**
 * A service's admin listener (ADMIN_PORT): metrics, probes and admin routes for the compose
 * network, which compose does not publish; what the public listener must not offer (the gateway's
 * metrics, the api's partition moves) lives here. Closed with the public app.
 */
export function createAdminListener(publicApp: FastifyInstance, options: AdminListenerOptions): AdminListener {
  const app = createApp({
    logger: options.logger.child({ component: 'admin' }),
    metrics: options.metrics,
    bodyLimit: options.bodyLimit ?? 1024,
  });
  app.readiness.add('service', async () => {
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
