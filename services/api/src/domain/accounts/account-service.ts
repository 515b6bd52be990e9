import { AppError } from '@sdl/errors';
import type { Account, CreateAccountInput, UpdateAccountInput } from './account.js';
import { createAccountId, createKeyedId } from '../ids.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-key.js';
import type { AccountRepository } from './account-repository.js';
import type { CacheResult, EntityCache } from '../../cache/entity-cache.js';
import { ApiErrors } from '../../errors.js';
import { explainHeaders, readThrough, type Loaded } from '../../cache/read-through.js';
import type { ShardRoute, ShardRouter } from '../../sharding/shard-router.js';
import { createSingleFlight } from '../../cache/single-flight.js';

/** An account with how it was found: the route explains `x-shard`, the cache result `x-cache`. */
export interface AccountResult {
  readonly account: Account;
  readonly route: ShardRoute;
  readonly cache: CacheResult;
  /** An idempotent create answered from the row an earlier try made. */
  readonly replayed?: boolean;
}

export interface AccountServiceDeps {
  readonly router: ShardRouter;
  readonly repository: AccountRepository;
  readonly cache: EntityCache<Account>;
}

/**
 * The account use cases: route by id (never scatter-gather), the database as the truth, the cache
 * updated after each commit in the configured mode (write-through by default) and read through.
 */
export class AccountService {
  readonly #router: ShardRouter;
  readonly #repository: AccountRepository;
  readonly #cache: EntityCache<Account>;
  readonly #flight = createSingleFlight<Loaded<Account>>();

  constructor(deps: AccountServiceDeps) {
    this.#router = deps.router;
    this.#repository = deps.repository;
    this.#cache = deps.cache;
  }

  /**
   * A new account owned by `tenant`. With an Idempotency-Key the id comes from (tenant, key), so
   * a retry routes to the same shard and finds the first try's row there.
   */
  async create(input: CreateAccountInput, tenant: string, request?: IdempotentRequest): Promise<AccountResult> {
    const id = request === undefined ? createAccountId() : createKeyedId('acc', tenant, request.key);
    const { created, route } = await this.#router.write(id, async (route) => ({
      created: await this.#repository.create(route, { id, tenant, email: input.email, name: input.name }, request),
      route,
    }));
    // After the commit: a Redis failure costs one later cache miss, never the acknowledged write.
    if (!created.replayed) await this.#cache.afterWrite(created.value);
    return { account: created.value, route, cache: 'bypass', replayed: created.replayed };
  }

  /**
   * The account by id if `tenant` owns it; the caller has validated the id's format. Another
   * tenant's account is answered exactly as a missing one (same error, same headers), whether it
   * came from the database or from the cache: the owner travels with the cached value.
   */
  async get(id: string, tenant: string): Promise<AccountResult> {
    const route = this.#router.route(id);
    const { value, cache } = await readThrough(
      this.#cache,
      this.#flight,
      id,
      (replicaOk) => this.#repository.findById(route, id, replicaOk),
      this.#repository.readRouting(route),
    );
    if (value === undefined || value.tenant !== tenant) {
      // The 404 says how it was answered too: `hit` means the negative cache answered it.
      throw new AppError(ApiErrors.accountNotFound, { details: { id }, headers: explainHeaders(route, cache) });
    }
    return { account: value, route, cache };
  }

  async update(id: string, input: UpdateAccountInput): Promise<AccountResult> {
    const { account, route } = await this.#router.write(id, async (route) => ({
      account: await this.#repository.update(route, id, input),
      route,
    }));
    if (account === undefined) throw new AppError(ApiErrors.accountNotFound, { details: { id } });
    await this.#cache.afterWrite(account);
    return { account, route, cache: 'bypass' };
  }

  async delete(id: string): Promise<ShardRoute> {
    const { deleted, route } = await this.#router.write(id, async (route) => ({
      deleted: await this.#repository.delete(route, id),
      route,
    }));
    if (!deleted) throw new AppError(ApiErrors.accountNotFound, { details: { id } });
    // The "missing" marker both removes the cached account and answers the next reads.
    await this.#cache.afterDelete(id);
    return route;
  }
}

export function createAccountService(deps: AccountServiceDeps): AccountService {
  return new AccountService(deps);
}
