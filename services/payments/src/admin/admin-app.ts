import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { FaultFlagsReply, FaultPatchBody } from '../faults/fault-schemas.js';
import type { Faults } from '../faults/faults.js';

export interface AdminAppOptions {
  readonly faults: Faults;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The admin listener (ADMIN_PORT): the fault flags, switchable at run time. It is a second app on
 * its own port so that nothing that can reach the provider's API (billing, or anything routed to
 * it) can switch faults; compose publishes neither port, the gateway proxies to neither.
 */
export async function buildAdminApp(options: AdminAppOptions): Promise<FastifyInstance> {
  const { faults } = options;
  const app = createApp({
    logger: options.logger.child({ component: 'admin' }),
    metrics: options.metrics,
    bodyLimit: 4096,
  });
  const schema = { response: { 200: FaultFlagsReply } };

  app.get('/admin/faults', { schema }, async () => faults.flags());

  app.put<{ Body: FaultPatchBody }>('/admin/faults', { schema: { ...schema, body: FaultPatchBody } }, async (req) => {
    const flags = faults.set(req.body);
    req.log.warn({ flags }, 'fault flags changed');
    return flags;
  });

  app.delete('/admin/faults', { schema }, async (req) => {
    const flags = faults.reset();
    req.log.warn({ flags }, 'fault flags reset to the environment');
    return flags;
  });
  return app;
}
