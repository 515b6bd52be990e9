import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '@sdl/errors';
import { PaymentsErrors } from './errors.js';

export interface FaultOptions {
  /** Share of attempts (0..1) that fail before charging. */
  readonly failRate: number;
  /** Added processing time per attempt, ms. */
  readonly latencyMs: number;
  /** Source of randomness in [0, 1) (default Math.random; tests pass their own). */
  readonly random?: () => number;
}

export interface Faults {
  /** Waits the configured latency, then throws a retriable 503 for the configured share of attempts. */
  beforeCharge(): Promise<void>;
}

/** The provider's chaos knobs: slow and flaky, but a failure never leaves a half-made charge. */
export function createFaults(options: FaultOptions): Faults {
  const random = options.random ?? Math.random;
  return {
    async beforeCharge() {
      if (options.latencyMs > 0) await delay(options.latencyMs);
      if (options.failRate > 0 && random() < options.failRate) {
        throw new AppError(PaymentsErrors.providerUnavailable, { message: 'injected provider failure' });
      }
    },
  };
}
