import type { AddressInfo } from 'node:net';
import { loadConfig } from '@sdl/config';
import { createLogger } from '@sdl/logging';
import { createMetrics, type Metrics } from '@sdl/metrics';
import { buildApp as buildPayments, PaymentsConfigSchema } from '@sdl/payments';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { BillingWork } from '../../src/billing/billing-work.js';
import { createBillingMetrics } from '../../src/billing/billing-metrics.js';
import {
  createBillingSettings,
  type BillingSettings,
  type BillingSettingsStore,
} from '../../src/billing/billing-settings.js';
import { createChargeWork } from '../../src/billing/charge-work.js';
import { createProviderClient } from '../../src/billing/provider-client.js';
import { ShardPrimaries } from '../../src/shards/shard-primaries.js';
import { startBillingStack, type BillingStack, type ChargeRecord } from './billing-stack.js';

/** The payment provider, in process on a free port, with its admin app for faults. */
export interface TestPayments {
  readonly url: string;
  readonly app: FastifyInstance;
  setFaults(patch: Record<string, number>): Promise<void>;
  audit(): Promise<{
    charges: number;
    duplicateReferences: unknown[];
    duplicateKeys: unknown[];
    replays: number;
    byReference: Record<string, number>;
  }>;
  close(): Promise<void>;
}

export async function startPayments(env: Record<string, string> = {}): Promise<TestPayments> {
  const app = await buildPayments({
    config: loadConfig(PaymentsConfigSchema, { ADMIN_PORT: '0', ...env }),
    logger: createLogger({ name: 'payments', level: 'silent' }),
    metrics: createMetrics({ service: 'payments', defaults: false }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    async setFaults(patch) {
      const res = await app.payments.admin.inject({ method: 'PUT', url: '/admin/faults', payload: patch });
      expect(res.statusCode).toBe(200);
    },
    async audit() {
      return (await app.inject({ method: 'GET', url: '/v1/audit?prefix=sub:&detail=true' })).json();
    },
    close: () => app.close(),
  };
}

/** The charging work wired as billing-setup.ts wires it, on the stack's shards, without an election. */
export interface TestWork {
  readonly work: BillingWork;
  readonly settings: BillingSettingsStore;
  readonly metrics: Metrics;
  /** A sample of the work's metrics (0 when absent). */
  sample(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export function createTestWork(
  stack: BillingStack,
  paymentsUrl: string,
  settings: Partial<BillingSettings> = {},
  options: { readonly providerTimeoutMs?: number; readonly providerAttempts?: number } = {},
): TestWork {
  const logger = createLogger({ name: 'billing-leader', level: 'silent' });
  const metrics = createMetrics({ service: 'billing-leader', defaults: false });
  const shards = new ShardPrimaries({
    urls: stack.shardPrimaries.split(','),
    logger,
    poolMax: 4,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 10_000,
  });
  const billingMetrics = createBillingMetrics(metrics.registry);
  const store = createBillingSettings({
    periodSeconds: 100,
    fencing: 'on',
    pendingRetryAfterMs: 0,
    writeStallMs: 0,
    ...settings,
  });
  const work = createChargeWork({
    shards,
    provider: createProviderClient({
      url: paymentsUrl,
      timeoutMs: options.providerTimeoutMs ?? 10_000,
      metrics: billingMetrics,
    }),
    settings: store,
    metrics: billingMetrics,
    logger,
    batch: 50,
    concurrency: 4,
    providerAttempts: options.providerAttempts ?? 3,
    retryMinMs: 20,
    retryMaxMs: 100,
  });
  return {
    work,
    settings: store,
    metrics,
    async sample(name, labels = {}) {
      // Histograms keep their _count/_sum/_bucket series under the histogram's own name.
      const base = name.replace(/_(count|sum|bucket)$/, '');
      const metric = await metrics.registry.getSingleMetric(base)?.get();
      const values = (metric?.values ?? []).filter((v) => ((v as { metricName?: string }).metricName ?? base) === name);
      const match = values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
      return match.reduce((sum, v) => sum + v.value, 0);
    },
    close: () => shards.close(),
  };
}

/**
 * The exactly-once oracle: every subscription's charges are contiguous from its first period
 * (`firstPeriod`) to its current next_billing_at (no gap, no overlap, no period twice), every one
 * succeeded, and the provider holds exactly one charge per key, none other.
 */
export async function expectExactlyOnce(
  stack: BillingStack,
  payments: TestPayments,
  firstPeriod: ReadonlyMap<string, string>,
): Promise<ChargeRecord[]> {
  const charges = await stack.charges();
  const next = await stack.nextBilling();
  for (const [subscription, start] of firstPeriod) {
    const own = charges.filter((c) => c.subscription_id === subscription);
    expect(own.length, `${subscription} was charged`).toBeGreaterThan(0);
    expect(own[0]!.period_start).toBe(start);
    for (let i = 1; i < own.length; i++) expect(own[i]!.period_start).toBe(own[i - 1]!.period_end);
    expect(own.at(-1)!.period_end).toBe(next.get(subscription));
  }
  expect(charges.filter((c) => c.status !== 'succeeded')).toEqual([]);
  const audit = await payments.audit();
  expect(audit.duplicateReferences).toEqual([]);
  expect(audit.duplicateKeys).toEqual([]);
  const keys = charges.map((c) => c.idempotency_key).sort();
  expect(Object.keys(audit.byReference).sort()).toEqual(keys);
  expect(Object.values(audit.byReference).every((n) => n === 1)).toBe(true);
  return charges;
}

/** A test file's set-up: one migrated stack for the file, and per test a clean database and a fresh provider. */
export interface BillingSuite {
  stack(): BillingStack;
  payments(): TestPayments;
  /** Charging work on the stack (closed after the test); periods of 100 s unless `settings` says otherwise. */
  work(settings?: Partial<BillingSettings>, options?: Parameters<typeof createTestWork>[3]): TestWork;
}

export function useBillingSuite(): BillingSuite {
  let stack: BillingStack | undefined;
  let payments: TestPayments | undefined;
  const works: TestWork[] = [];
  beforeAll(async () => {
    stack = await startBillingStack();
    await stack.migrate();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    await stack!.reset();
    payments = await startPayments();
  });
  afterEach(async () => {
    await Promise.all(works.splice(0).map((w) => w.close()));
    await payments?.close();
  });
  return {
    stack: () => stack!,
    payments: () => payments!,
    work(settings = {}, options = {}) {
      const made = createTestWork(stack!, payments!.url, settings, options);
      works.push(made);
      return made;
    },
  };
}
