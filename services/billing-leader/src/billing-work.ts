import type { Logger } from '@sdl/logging';

/**
 * What the leader does on every tick. The real implementation (a later billing issue) charges the
 * subscriptions that are due: it derives due work from the database, never from memory, and
 * passes `token` to every shard transaction, which refuses it when a newer leader's token is
 * already stored (fencing). It must stop promptly when `signal` aborts: the replica was demoted.
 */
export interface BillingWork {
  runOnce(token: bigint, signal: AbortSignal): Promise<void>;
}

/** The skeleton: does nothing but say what it would do. Charging plugs in here. */
export function createSkeletonBillingWork(options: { readonly logger: Logger }): BillingWork {
  const log = options.logger.child({ component: 'billing-work' });
  return {
    async runOnce(token, signal) {
      if (signal.aborted) return;
      log.debug({ token: String(token) }, 'would charge due subscriptions');
    },
  };
}
