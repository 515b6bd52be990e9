import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { ChargeStore, type Charge } from './charge-store.js';
import type { PaymentsConfig } from './config.js';
import { createFaults } from './faults.js';
import { IdempotencyStore } from './idempotency.js';
import { createPaymentsMetrics } from './metrics.js';
import { chargesRoutes } from './routes/charges-routes.js';

export { PaymentsConfigSchema, type PaymentsConfig } from './config.js';

export interface PaymentsDeps {
  readonly config: PaymentsConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Randomness for FAIL_RATE (default Math.random). */
  readonly random?: () => number;
}

/** The simulated payment provider: in-memory charges behind Stripe-like idempotency keys. */
export async function buildApp(deps: PaymentsDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const app = createApp({ logger, metrics, bodyLimit: 64 * 1024 });
  await app.register(chargesRoutes, {
    store: new ChargeStore(),
    idempotency: new IdempotencyStore<Charge>(),
    faults: createFaults({
      failRate: config.failRate,
      latencyMs: config.latencyMs,
      ...(deps.random === undefined ? {} : { random: deps.random }),
    }),
    metrics: createPaymentsMetrics(metrics),
  });
  return app;
}
