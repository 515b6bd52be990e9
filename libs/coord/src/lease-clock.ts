import { performance } from 'node:perf_hooks';
import type { Lease } from 'etcd3';

/** How long a lease is known to be alive, measured on this process's monotonic clock. */
export interface LeaseClock {
  /** The grant was requested at `sentAt` (call before anything else can renew the lease). */
  granted(sentAt: number): void;
  /** Until when (performance.now() scale) the holder may act: last renewal + TTL - margin. */
  deadline(): number;
  /** True while `now < deadline()` and the clock never lapsed: a lapse is final for this lease. */
  valid(): boolean;
}

/**
 * Tracks a lease's renewals conservatively. etcd extends a lease from when it processes a
 * keep-alive, which is never earlier than when the keep-alive was sent, so each answer is
 * credited with the send time of the request it answers. Requests and answers on one keep-alive
 * stream are in order (FIFO); when etcd3 replaces the stream, unanswered sends are forgotten
 * rather than credited to a later answer.
 *
 * Once the deadline has passed the clock stays lapsed: another candidate may have led in the
 * gap, so a late renewal must not make this lease's holder a leader again.
 */
export function createLeaseClock(
  lease: Lease,
  ttlMs: number,
  marginMs: number,
  now = () => performance.now(),
): LeaseClock {
  let renewedAt = Number.NEGATIVE_INFINITY;
  let lapsed = false;
  let streamAlive = false;
  let pending: number[] = [];

  const deadline = (): number => renewedAt + ttlMs - marginMs;
  const valid = (): boolean => {
    if (renewedAt === Number.NEGATIVE_INFINITY) return false;
    if (!lapsed && now() >= deadline()) lapsed = true;
    return !lapsed;
  };

  lease.on('keepaliveEstablished', () => {
    streamAlive = true;
    pending = [];
  });
  lease.on('keepaliveFailed', () => {
    streamAlive = false;
    pending = [];
  });
  lease.on('keepaliveFired', () => {
    if (streamAlive) pending.push(now());
  });
  lease.on('keepaliveSucceeded', () => {
    const sentAt = pending.shift();
    if (sentAt === undefined || lapsed) return;
    if (renewedAt !== Number.NEGATIVE_INFINITY && !valid()) return;
    renewedAt = Math.max(renewedAt, sentAt);
  });

  return {
    granted(sentAt) {
      if (renewedAt === Number.NEGATIVE_INFINITY) renewedAt = sentAt;
    },
    deadline,
    valid,
  };
}
