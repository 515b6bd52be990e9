import { createLockKeeper, createRedlock, type LockKeeper } from '@sdl/lock';
import type { Logger } from '@sdl/logging';
import { Counter, Gauge, type Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';

export interface RelayLocksOptions {
  /** One client per independent lock Redis (3 in compose). */
  readonly clients: readonly Redis[];
  readonly shardCount: number;
  readonly ttlMs: number;
  /** Bound on each lock instance's answer, ms. */
  readonly instanceTimeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
}

/** The Redlock resource that elects one relay for `shard` across the api nodes. */
export function relayLockResource(shard: number): string {
  return `outbox-relay:shard:${shard}`;
}

/**
 * One Redlock per shard's relay, kept by this node while it can (extended every ttl/3). It only
 * saves work: two relays on a shard stay correct through FOR UPDATE SKIP LOCKED and consumers'
 * de-duplication, so a lock that two nodes briefly both believe they hold costs nothing but a
 * duplicate publish at worst.
 */
export class RelayLocks {
  readonly #keepers: readonly LockKeeper[];

  constructor(options: RelayLocksOptions) {
    const redlock = createRedlock({
      clients: options.clients,
      instanceTimeoutMs: options.instanceTimeoutMs,
      logger: options.logger,
    });
    const leader = new Gauge({
      name: 'api_outbox_relay_leader',
      help: "1 while this node holds the shard's outbox relay lock (and relays that shard)",
      labelNames: ['shard'] as const,
      registers: [options.registry],
    });
    const acquired = new Counter({
      name: 'api_outbox_relay_lock_acquired_total',
      help: "Times this node acquired a shard's outbox relay lock",
      labelNames: ['shard'] as const,
      registers: [options.registry],
    });
    const lost = new Counter({
      name: 'api_outbox_relay_lock_lost_total',
      help: "Times this node stopped holding a shard's outbox relay lock, by reason",
      labelNames: ['shard', 'reason'] as const,
      registers: [options.registry],
    });
    this.#keepers = Array.from({ length: options.shardCount }, (_, shard) => {
      const label = { shard: String(shard) };
      leader.set(label, 0);
      const keeper = createLockKeeper({
        redlock,
        resource: relayLockResource(shard),
        ttlMs: options.ttlMs,
        logger: options.logger.child({ shard }),
      });
      keeper.on('acquired', () => {
        leader.set(label, 1);
        acquired.inc(label);
      });
      keeper.on('lost', (reason) => {
        leader.set(label, 0);
        lost.inc({ ...label, reason });
      });
      return keeper;
    });
  }

  /** Whether this node may relay `shard` now: it holds the lock and it is valid by the local clock. */
  holds(shard: number): boolean {
    return this.#keepers[shard]?.held ?? false;
  }

  start(): void {
    for (const keeper of this.#keepers) keeper.start();
  }

  /** Stops keeping the locks and releases the ones held, so another node takes over at once. */
  async stop(): Promise<void> {
    await Promise.all(this.#keepers.map((keeper) => keeper.stop()));
  }
}

export function createRelayLocks(options: RelayLocksOptions): RelayLocks {
  return new RelayLocks(options);
}
