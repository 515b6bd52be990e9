import { createLogger, type Logger } from '@sdl/logging';
import { createMetrics, type Metrics } from '@sdl/metrics';
import { loadConfig } from '@sdl/config';
import { BillingLeaderConfigSchema, type BillingLeaderConfig } from '../src/config.js';

/**
 * Lets time pass. Only for asserting that something does NOT happen over a span; anything
 * waiting for a condition uses vi.waitFor.
 */
export function observeFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A config as main.ts would load it from this environment. */
export function testConfig(env: Record<string, string> = {}): BillingLeaderConfig {
  return loadConfig(BillingLeaderConfigSchema, { ETCD_ENDPOINTS: 'http://127.0.0.1:1', ...env });
}

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
