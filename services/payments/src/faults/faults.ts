import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '@sdl/errors';
import { PaymentsErrors } from '../errors.js';

/** The provider's chaos knobs; rates are shares of charge attempts in 0..1. */
export interface FaultFlags {
  /** Fail before charging: 503 PAY_ERR_PROVIDER_UNAVAILABLE, nothing charged. */
  readonly failRate: number;
  /** Accept, then time out: the charge is made and durable, but the answer is 504 after `acceptTimeoutMs`. */
  readonly acceptTimeoutRate: number;
  readonly acceptTimeoutMs: number;
  /** Slow answers: `slowMs` of processing (while the key is in flight) for this share of attempts. */
  readonly slowRate: number;
  readonly slowMs: number;
}

export type FaultName = 'fail' | 'accept_timeout' | 'slow';

export interface Faults {
  /** The flags in force now. */
  flags(): FaultFlags;
  /** Changes some flags at run time (the admin endpoint); returns all of them. */
  set(patch: Partial<FaultFlags>): FaultFlags;
  /** Back to the flags the provider started with (its environment). */
  reset(): FaultFlags;
  /** Before charging: maybe waits (slow), maybe throws a retriable 503 (fail). */
  beforeCharge(): Promise<void>;
  /** After the charge is durable: true when this attempt must time out instead of answering. */
  afterCharge(): boolean;
  /** Holds the answer `acceptTimeoutMs`, then throws 504 PAY_ERR_TIMEOUT (retriable). */
  timeOut(): Promise<never>;
}

export interface FaultOptions {
  readonly initial: FaultFlags;
  /** Source of randomness in [0, 1) (default Math.random; tests pass their own). */
  readonly random?: () => number;
  /** Called for every fault injected (metrics). */
  readonly onFault?: (fault: FaultName) => void;
}

/**
 * Slow, flaky and ambiguous, like a real provider on a bad day, but a fast failure never leaves a
 * half-made charge: only `accept_timeout` charges and then does not say so.
 */
export function createFaults(options: FaultOptions): Faults {
  const random = options.random ?? Math.random;
  let flags: FaultFlags = { ...options.initial };
  const roll = (rate: number): boolean => rate > 0 && random() < rate;
  return {
    flags: () => flags,
    set(patch) {
      flags = { ...flags, ...patch };
      return flags;
    },
    reset() {
      flags = { ...options.initial };
      return flags;
    },
    async beforeCharge() {
      const { slowMs, slowRate, failRate } = flags;
      if (slowMs > 0 && roll(slowRate)) {
        options.onFault?.('slow');
        await delay(slowMs);
      }
      if (roll(failRate)) {
        options.onFault?.('fail');
        throw new AppError(PaymentsErrors.providerUnavailable, { message: 'injected provider failure' });
      }
    },
    afterCharge() {
      if (!roll(flags.acceptTimeoutRate)) return false;
      options.onFault?.('accept_timeout');
      return true;
    },
    async timeOut() {
      await delay(flags.acceptTimeoutMs);
      throw new AppError(PaymentsErrors.acceptedTimeout);
    },
  };
}
