/**
 * What the leader does on every tick: `runOnce(token, signal)`. The real implementation is
 * `createChargeWork` (src/billing/charge-work.ts): it derives due work from the database, never
 * from memory, and passes `token` to every shard transaction, which refuses it when a newer
 * leader's token is already stored (fencing). It stops promptly when `signal` aborts: the replica
 * was demoted.
 */
export interface BillingWork {
  runOnce(token: bigint, signal: AbortSignal): Promise<void>;
}

/** Work that does nothing: a replica without SHARD_PRIMARIES campaigns, but has nothing to charge. */
export const idleBillingWork: BillingWork = {
  async runOnce() {},
};
