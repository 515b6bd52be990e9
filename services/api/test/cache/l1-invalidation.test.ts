import { describe, expect, it } from 'vitest';
import type { IncomingEvent } from '@sdl/events';
import { createMetrics } from '@sdl/metrics';
import type { Account } from '../../src/domain/accounts/account.js';
import { createAccountId, createPrefixedId } from '../../src/domain/ids.js';
import { evictsUnflushedCounters } from '../../src/cache/eviction-policy.js';
import { createCacheInvalidationHandler } from '../../src/cache/l1-invalidation.js';
import { createCacheMetrics, createEntityCache, type EntityCache } from '../../src/cache/entity-cache.js';
import { postCacheId, type Post } from '../../src/domain/posts/post.js';
import { testLogger } from '../support/helpers.js';

// No Redis: whatever these caches answer comes from their L1.
function caches(): { account: EntityCache<Account>; post: EntityCache<Post> } {
  const common = {
    redis: null,
    ttlSeconds: 60,
    negativeTtlSeconds: 5,
    logger: testLogger(),
    metrics: createCacheMetrics(createMetrics({ service: 'api', node: 't', defaults: false }).registry),
    l1: { maxEntries: 10, ttlMs: 60_000 },
  };
  return {
    account: createEntityCache<Account>({
      ...common,
      entity: 'account',
      mode: 'write-through',
      parse: () => undefined,
      idOf: (a) => a.id,
    }),
    post: createEntityCache<Post>({
      ...common,
      entity: 'post',
      mode: 'write-through',
      parse: () => undefined,
      idOf: (p) => postCacheId(p.accountId, p.id),
    }),
  };
}

const at = '2026-01-01T00:00:00.000Z';
// An object becomes an envelope as the relay writes it (event id and time added when absent).
let seq = 0;
const event = (value: unknown): IncomingEvent => ({
  topic: 't',
  partition: 0,
  offset: '0',
  key: undefined,
  value:
    typeof value === 'string'
      ? value
      : JSON.stringify(
          value !== null && typeof value === 'object' ? { eventId: `e${++seq}`, occurredAt: at, ...value } : value,
        ),
  headers: {},
});

describe('L1 invalidation from outbox events', () => {
  it('drops the account named by an account event, and only that one', async () => {
    const c = caches();
    const [a, b] = [createAccountId(), createAccountId()];
    await c.account.afterWrite({ id: a, tenant: 't', email: 'a@x', name: 'A', createdAt: at, updatedAt: at });
    await c.account.afterWrite({ id: b, tenant: 't', email: 'b@x', name: 'B', createdAt: at, updatedAt: at });
    expect((await c.account.get(a)).result).toBe('hit');

    const handle = createCacheInvalidationHandler(c, testLogger());
    await handle(event({ eventId: 'e1', type: 'account.updated', aggregateType: 'account', aggregateId: a, data: {} }));

    expect((await c.account.get(a)).result).toBe('bypass');
    expect((await c.account.get(b)).result).toBe('hit');
  });

  it('drops a post by its account id and post id', async () => {
    const c = caches();
    const post: Post = {
      id: createPrefixedId('pst'),
      accountId: createAccountId(),
      title: 't',
      body: '',
      createdAt: at,
      updatedAt: at,
    };
    await c.post.afterWrite(post);
    const key = postCacheId(post.accountId, post.id);
    expect((await c.post.get(key)).result).toBe('hit');

    const handle = createCacheInvalidationHandler(c, testLogger());
    await handle(event({ type: 'post.created', aggregateType: 'post', aggregateId: post.id, data: post }));

    expect((await c.post.get(key)).result).toBe('bypass');
  });

  it('skips unreadable events without throwing (a retry could not fix them)', async () => {
    const handle = createCacheInvalidationHandler(caches(), testLogger());
    await expect(handle(event('not json'))).resolves.toBeUndefined();
    await expect(handle(event({ aggregateType: 'post', aggregateId: 'pst_x', data: null }))).resolves.toBeUndefined();
    await expect(handle(event(null))).resolves.toBeUndefined();
  });
});

describe('eviction policy check', () => {
  it('flags the policies that may evict keys without a TTL (the write-back counters)', () => {
    expect(['allkeys-lru', 'allkeys-lfu', 'allkeys-random'].map(evictsUnflushedCounters)).toEqual([true, true, true]);
    expect(
      ['volatile-lru', 'volatile-lfu', 'volatile-ttl', 'volatile-random', 'noeviction', 'unknown'].some(
        evictsUnflushedCounters,
      ),
    ).toBe(false);
  });
});
