import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';
import { AccountRepository } from '../domain/accounts/account-repository.js';
import { PostRepository } from '../domain/posts/post-repository.js';
import { SubscriptionRepository } from '../domain/subscriptions/subscription-repository.js';
import type { ShardPools } from '../db/shard-pools.js';
import { createBloomFilter, createBloomMetrics, type BloomFilter } from './bloom-filter.js';
import type { BloomEntity } from './bloom-rebuild.js';

/**
 * A read guarded by the filter: `absent` answers "no such id" without the query (what stops cache
 * penetration: a flood of made-up ids never reaches the database); `maybe` and `bypass` read.
 */
export async function guardedRead<T>(
  filter: BloomFilter,
  id: string,
  read: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const check = await filter.check(id);
  if (check === 'absent') return undefined;
  const value = await read();
  if (value === undefined) filter.countMissingRead(check);
  return value;
}

/**
 * A create that the filter learns of before its row can be seen (so a just-created id is never
 * reported absent) and once more after the commit (so a rebuild that began meanwhile, whose scan
 * may have missed the row, has it in its new generation). A failed create leaves a harmless extra id.
 */
export async function guardedCreate<R>(filter: BloomFilter, id: string, create: () => Promise<R>): Promise<R> {
  await filter.add(id);
  const created = await create();
  await filter.add(id);
  return created;
}

class BloomAccountRepository extends AccountRepository {
  readonly #filter: BloomFilter;

  constructor(shards: ShardPools, filter: BloomFilter) {
    super(shards);
    this.#filter = filter;
  }

  override create(...args: Parameters<AccountRepository['create']>): ReturnType<AccountRepository['create']> {
    return guardedCreate(this.#filter, args[1].id, () => super.create(...args));
  }

  override findById(...args: Parameters<AccountRepository['findById']>): ReturnType<AccountRepository['findById']> {
    return guardedRead(this.#filter, args[1], () => super.findById(...args));
  }
}

class BloomPostRepository extends PostRepository {
  readonly #filter: BloomFilter;

  constructor(shards: ShardPools, filter: BloomFilter) {
    super(shards);
    this.#filter = filter;
  }

  override create(...args: Parameters<PostRepository['create']>): ReturnType<PostRepository['create']> {
    return guardedCreate(this.#filter, args[1].id, () => super.create(...args));
  }

  override findById(...args: Parameters<PostRepository['findById']>): ReturnType<PostRepository['findById']> {
    return guardedRead(this.#filter, args[2], () => super.findById(...args));
  }
}

class BloomSubscriptionRepository extends SubscriptionRepository {
  readonly #filter: BloomFilter;

  constructor(shards: ShardPools, filter: BloomFilter) {
    super(shards);
    this.#filter = filter;
  }

  override create(...args: Parameters<SubscriptionRepository['create']>): ReturnType<SubscriptionRepository['create']> {
    return guardedCreate(this.#filter, args[1].id, () => super.create(...args));
  }

  override findById(
    ...args: Parameters<SubscriptionRepository['findById']>
  ): ReturnType<SubscriptionRepository['findById']> {
    return guardedRead(this.#filter, args[2], () => super.findById(...args));
  }
}

export interface BloomRepositoriesOptions {
  readonly shards: ShardPools;
  /** BLOOM_FILTER, read at each read (BloomSwitch.state); creates add their ids whatever it says. */
  readonly state: () => 'off' | 'rebuilding' | 'on';
  /** The cache Redis; null: no filter (every check a bypass). */
  readonly redis: Redis | null;
  readonly logger: Logger;
  readonly registry: Registry;
}

/**
 * The repositories an api node uses, each behind its entity's filter: consulted while BLOOM_FILTER
 * is on, kept up to date by every create either way (so it can be switched on at run time).
 */
export function createBloomRepositories(options: BloomRepositoriesOptions): {
  accounts: AccountRepository;
  posts: PostRepository;
  subscriptions: SubscriptionRepository;
  filters: Readonly<Record<BloomEntity, BloomFilter>>;
} {
  const { shards } = options;
  const metrics = createBloomMetrics(options.registry);
  const filter = (entity: BloomEntity): BloomFilter =>
    createBloomFilter({ entity, redis: options.redis, enabled: options.state, logger: options.logger, metrics });
  const filters = { account: filter('account'), post: filter('post'), subscription: filter('subscription') };
  return {
    accounts: new BloomAccountRepository(shards, filters.account),
    posts: new BloomPostRepository(shards, filters.post),
    subscriptions: new BloomSubscriptionRepository(shards, filters.subscription),
    filters,
  };
}
