import { createLogger, type Logger } from '@sdl/logging';
import { createMetrics, type Metrics } from '@sdl/metrics';
import { loadConfig } from '@sdl/config';
import { createTestAppBuilder } from '@sdl/testing';
import { buildApp } from '../../src/app.js';
import { BillingLeaderConfigSchema, checkBillingLeaderConfig, type BillingLeaderConfig } from '../../src/config.js';

/**
 * Lets time pass. Only for asserting that something does NOT happen over a span; anything
 * waiting for a condition uses vi.waitFor.
 */
export function observeFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Nothing listens on port 1: a replica whose tests pass no coordinator finds etcd down.
const TEST_ENV = { ETCD_ENDPOINTS: 'http://127.0.0.1:1' };

/** A config as main.ts would load it from this environment (schema and cross-field checks). */
export function testConfig(env: Record<string, string> = {}): BillingLeaderConfig {
  return loadConfig(BillingLeaderConfigSchema, { ...TEST_ENV, ...env }, checkBillingLeaderConfig);
}

/** A replica as main.ts builds it, silent and not listening (see createTestAppBuilder). */
export const buildTestApp = createTestAppBuilder({
  name: 'billing-leader',
  schema: BillingLeaderConfigSchema,
  check: checkBillingLeaderConfig,
  build: buildApp,
  env: TEST_ENV,
});

export function testContext(nodeId = 'billing-leader-test'): { logger: Logger; metrics: Metrics } {
  return {
    logger: createLogger({ name: 'billing-leader', level: 'silent', base: { node: nodeId } }),
    metrics: createMetrics({ service: 'billing-leader', node: nodeId, defaults: false }),
  };
}

/** The value of the first sample of `name` whose labels include `labels`, in Prometheus text. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
