import type { Logger } from '@sdl/logging';
import { Counter, type Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';
import { asAccount, type Account } from './account.js';

/** What a cache read found: the account, nothing (`miss`), or no answer from Redis (`bypass`). */
export type CacheLookup =
  | { readonly result: 'hit'; readonly account: Account }
  | { readonly result: 'miss' }
  | { readonly result: 'bypass' };

export type CacheResult = CacheLookup['result'];

export interface AccountCacheOptions {
  /** null: no cache configured; every read is a bypass and every write is skipped. */
  readonly redis: Redis | null;
  readonly ttlSeconds: number;
  readonly logger: Logger;
  readonly registry: Registry;
}

/**
 * Accounts in Redis under `account:<id>` as JSON, with a TTL. Redis is an optimisation, never a
 * dependency: every failure degrades (a read to `bypass`, a write-through to write-around) and
 * is counted in `api_cache_degraded_total{op}`, never surfaced to the client.
 */
export class AccountCache {
  readonly #redis: Redis | null;
  readonly #ttlSeconds: number;
  readonly #log: Logger;
  readonly #requests: Counter<'entity' | 'result'>;
  readonly #degraded: Counter<'op'>;
  // Log the change of state, not every request: an outage at 1000 rps must not flood the logs.
  #failing = false;

  constructor(options: AccountCacheOptions) {
    this.#redis = options.redis;
    this.#ttlSeconds = options.ttlSeconds;
    this.#log = options.logger.child({ component: 'account-cache' });
    this.#requests = new Counter({
      name: 'api_cache_requests_total',
      help: 'Cache reads by entity and result (hit, miss, bypass = Redis unavailable)',
      labelNames: ['entity', 'result'] as const,
      registers: [options.registry],
    });
    this.#degraded = new Counter({
      name: 'api_cache_degraded_total',
      help: 'Cache operations that failed and were skipped (op: get, write_through, populate)',
      labelNames: ['op'] as const,
      registers: [options.registry],
    });
  }

  static key(id: string): string {
    return `account:${id}`;
  }

  async get(id: string): Promise<CacheLookup> {
    const lookup = await this.#lookup(id);
    this.#requests.inc({ entity: 'account', result: lookup.result });
    return lookup;
  }

  /** Write-through after a committed create; false when Redis did not take it (write-around). */
  async writeThrough(account: Account): Promise<boolean> {
    return this.#set(account, 'write_through');
  }

  /** Fills the cache after a miss was read from the database. */
  async populate(account: Account): Promise<boolean> {
    return this.#set(account, 'populate');
  }

  async #lookup(id: string): Promise<CacheLookup> {
    if (this.#redis === null) return { result: 'bypass' };
    let raw: string | null;
    try {
      raw = await this.#redis.get(AccountCache.key(id));
    } catch (err) {
      this.#degrade('get', err, id);
      return { result: 'bypass' };
    }
    this.#recovered();
    if (raw === null) return { result: 'miss' };
    const account = parse(raw);
    if (account === undefined || account.id !== id) {
      // A value we cannot read is as good as none: the database answers and overwrites it.
      this.#log.warn({ id }, 'unreadable cache entry; treating as a miss');
      return { result: 'miss' };
    }
    return { result: 'hit', account };
  }

  async #set(account: Account, op: 'write_through' | 'populate'): Promise<boolean> {
    if (this.#redis === null) return false;
    try {
      await this.#redis.set(AccountCache.key(account.id), JSON.stringify(account), 'EX', this.#ttlSeconds);
      this.#recovered();
      return true;
    } catch (err) {
      this.#degrade(op, err, account.id);
      return false;
    }
  }

  #degrade(op: string, err: unknown, id: string): void {
    this.#degraded.inc({ op });
    if (this.#failing) {
      this.#log.debug({ err, op, id }, 'cache still unavailable');
      return;
    }
    this.#failing = true;
    this.#log.warn({ err, op, id }, 'cache unavailable; serving without it');
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#log.info('cache available again');
  }
}

function parse(raw: string): Account | undefined {
  try {
    return asAccount(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

export function createAccountCache(options: AccountCacheOptions): AccountCache {
  return new AccountCache(options);
}
