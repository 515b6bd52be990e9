import type { IncomingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';
import type { Counter } from '@sdl/metrics';
import type { Account } from './account.js';
import type { EntityCache } from './entity-cache.js';
import { postCacheId, type Post } from './post.js';

/** The caches whose L1 entries the outbox events of other nodes invalidate. */
export interface InvalidatedCaches {
  readonly account: EntityCache<Account>;
  readonly post: EntityCache<Post>;
}

/** The part of an outbox event (see outbox-relay.ts `toMessage`) that names what changed. */
interface ChangeEvent {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly data: unknown;
}

function asChangeEvent(value: string): ChangeEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { aggregateType, aggregateId, data } = parsed as Record<string, unknown>;
    if (typeof aggregateType !== 'string' || typeof aggregateId !== 'string') return undefined;
    return { aggregateType, aggregateId, data };
  } catch {
    return undefined;
  }
}

/**
 * The handler of `accounts.events` / `posts.events` for the L1: every account or post event
 * drops that entity's L1 entry on this node (Redis was already updated by the writing node).
 * It never throws: an unreadable event is skipped, since a retry could not make it readable
 * and the L1 TTL bounds what a lost invalidation costs.
 */
export function createCacheInvalidationHandler(
  caches: InvalidatedCaches,
  logger: Logger,
  /** Counts events by result (applied, skipped): shows the consumer is alive. */
  events?: Counter<'result'>,
): (event: IncomingEvent) => Promise<void> {
  const log = logger.child({ component: 'cache-invalidation' });
  return async (event) => {
    const change = asChangeEvent(event.value);
    events?.inc({ result: change === undefined ? 'skipped' : 'applied' });
    if (change === undefined) {
      log.debug({ topic: event.topic, offset: event.offset }, 'unreadable event; skipped');
      return;
    }
    if (change.aggregateType === 'account') {
      caches.account.evictLocal(change.aggregateId);
      return;
    }
    if (change.aggregateType === 'post') {
      // Post cache ids are `<accountId>:<postId>`; every post event carries its account id.
      const accountId = (change.data as { accountId?: unknown } | null)?.accountId;
      if (typeof accountId === 'string') caches.post.evictLocal(postCacheId(accountId, change.aggregateId));
    }
  };
}
