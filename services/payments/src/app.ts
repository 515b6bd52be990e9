import type { AddressInfo } from 'node:net';
import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp, loadSheddingOf } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { buildAdminApp } from './admin/admin-app.js';
import { Audit } from './audit/audit.js';
import type { PaymentsConfig } from './config.js';
import { createFaults, type Faults } from './faults/faults.js';
import { IdempotencyStore } from './idempotency/idempotency.js';
import { ChargeStore, type Charge, type LedgerRecord } from './ledger/charge-store.js';
import { memoryLedger, openLedgerFile } from './ledger/ledger-file.js';
import { createPaymentsMetrics } from './metrics.js';
import { chargesRoutes } from './routes/charges-routes.js';

export { PaymentsConfigSchema, type PaymentsConfig } from './config.js';

declare module 'fastify' {
  interface FastifyInstance {
    payments: PaymentsRuntime;
  }
}

/** The provider's live parts, decorated on the API app. */
export interface PaymentsRuntime {
  /** The admin app (fault flags); tests inject into it, main.ts listens it with listenAdmin(). */
  readonly admin: FastifyInstance;
  readonly faults: Faults;
  /** Listens the admin app on config.host:config.adminPort. */
  listenAdmin(): Promise<AddressInfo>;
}

export interface PaymentsDeps {
  readonly config: PaymentsConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Randomness for the fault rates (default Math.random). */
  readonly random?: () => number;
}

/**
 * The simulated payment provider: charges behind Stripe-like idempotency keys, written to a durable
 * ledger (LEDGER_PATH) before they are answered, and read back at start-up with their keys. Builds
 * the API app and, beside it, the admin app; listens neither.
 */
export async function buildApp(deps: PaymentsDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const ledger =
    config.ledgerPath === '' ? memoryLedger<LedgerRecord>() : await openLedgerFile<LedgerRecord>(config.ledgerPath);
  const store = new ChargeStore(ledger);
  const idempotency = new IdempotencyStore<Charge>();
  for (const { charge, fingerprint } of ledger.loaded) idempotency.remember(charge.idempotencyKey, fingerprint, charge);
  if (ledger.loaded.length > 0)
    logger.info({ charges: ledger.loaded.length, path: config.ledgerPath }, 'ledger read back');

  const paymentsMetrics = createPaymentsMetrics(metrics);
  const faults = createFaults({
    initial: {
      failRate: config.failRate,
      acceptTimeoutRate: config.acceptTimeoutRate,
      acceptTimeoutMs: config.acceptTimeoutMs,
      slowRate: config.slowRate,
      slowMs: config.slowMs,
    },
    onFault: (fault) => paymentsMetrics.faults.inc({ fault }),
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });

  const app = createApp({ logger, metrics, bodyLimit: 64 * 1024, loadShedding: loadSheddingOf(config) });
  const admin = await buildAdminApp({ faults, logger, metrics });
  app.decorate('payments', {
    admin,
    faults,
    listenAdmin: async () => {
      await admin.listen({ host: config.host, port: config.adminPort });
      const address = admin.server.address() as AddressInfo;
      logger.info({ port: address.port }, 'admin listening');
      return address;
    },
  } satisfies PaymentsRuntime);
  app.addHook('onClose', async () => {
    await admin.close();
    await ledger.close();
  });

  await app.register(chargesRoutes, { store, idempotency, faults, metrics: paymentsMetrics, audit: new Audit() });
  return app;
}
