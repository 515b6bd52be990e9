/** A cap on the requests each tenant has in flight through this gateway. */
export interface InFlightLimit {
  /** Takes a slot for `tenant`; false (nothing taken) when it already holds `max`. */
  acquire(tenant: string): boolean;
  /** Gives back a slot taken by acquire. */
  release(tenant: string): void;
  /** Slots `tenant` holds now. */
  held(tenant: string): number;
}

/**
 * Per-tenant concurrency at the edge: one tenant's slow or stuck requests cannot take every
 * upstream connection and worker from the others (the lb's pool is shared). `max` 0: no limit.
 * Local to this gateway: N gateways admit up to N x max (the ratelimiter's concurrency rules are
 * the cluster-wide limit).
 */
export function createInFlightLimit(max: number): InFlightLimit {
  const counts = new Map<string, number>();
  return {
    acquire(tenant) {
      const held = counts.get(tenant) ?? 0;
      if (max > 0 && held >= max) return false;
      counts.set(tenant, held + 1);
      return true;
    },
    release(tenant) {
      const held = (counts.get(tenant) ?? 0) - 1;
      if (held <= 0) counts.delete(tenant);
      else counts.set(tenant, held);
    },
    held: (tenant) => counts.get(tenant) ?? 0,
  };
}
