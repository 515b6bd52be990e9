import { AppError } from '@sdl/errors';
import type { Account, CreateAccountInput } from './account.js';
import type { AccountCache, CacheResult } from './account-cache.js';
import { createAccountId } from './account-id.js';
import type { AccountRepository } from './account-repository.js';
import { ApiErrors } from './errors.js';
import type { ShardRoute, ShardRouter } from './shard-router.js';

/** An account with how it was found: the route explains `x-shard`, the cache result `x-cache`. */
export interface AccountResult {
  readonly account: Account;
  readonly route: ShardRoute;
  readonly cache: CacheResult;
}

export interface AccountServiceDeps {
  readonly router: ShardRouter;
  readonly repository: AccountRepository;
  readonly cache: AccountCache;
}

/**
 * The account use cases: route by id (never scatter-gather), the database as the truth, Redis
 * write-through on create and read-through on get.
 */
export class AccountService {
  readonly #router: ShardRouter;
  readonly #repository: AccountRepository;
  readonly #cache: AccountCache;

  constructor(deps: AccountServiceDeps) {
    this.#router = deps.router;
    this.#repository = deps.repository;
    this.#cache = deps.cache;
  }

  async create(input: CreateAccountInput): Promise<AccountResult> {
    const id = createAccountId();
    const route = this.#router.route(id);
    const account = await this.#repository.create(route, { id, email: input.email, name: input.name });
    // After the commit: a Redis failure costs one later cache miss, never the acknowledged write.
    await this.#cache.writeThrough(account);
    return { account, route, cache: 'bypass' };
  }

  /** The account by id; the caller has validated the id's format. */
  async get(id: string): Promise<AccountResult> {
    const route = this.#router.route(id);
    const cached = await this.#cache.get(id);
    if (cached.result === 'hit') return { account: cached.account, route, cache: 'hit' };
    const account = await this.#repository.findById(route, id);
    if (account === undefined) throw new AppError(ApiErrors.accountNotFound, { details: { id } });
    if (cached.result === 'miss') await this.#cache.populate(account);
    return { account, route, cache: cached.result };
  }
}

export function createAccountService(deps: AccountServiceDeps): AccountService {
  return new AccountService(deps);
}
