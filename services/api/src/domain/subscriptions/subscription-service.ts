import { AppError } from '@sdl/errors';
import { createPrefixedId } from '../ids.js';
import type { Created } from '../../idempotency/create-once.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-key.js';
import { ApiErrors } from '../../errors.js';
import { findPlan } from './plans.js';
import type { ShardRoute, ShardRouter } from '../../sharding/shard-router.js';
import type { SubscriptionRepository } from './subscription-repository.js';
import type { Charge, Subscription } from './subscription.js';

/**
 * Subscriptions route by their account id (every subscription route names it), never cached:
 * money data is read from the shard primary every time.
 */
export class SubscriptionService {
  readonly #router: ShardRouter;
  readonly #repository: SubscriptionRepository;

  constructor(router: ShardRouter, repository: SubscriptionRepository) {
    this.#router = router;
    this.#repository = repository;
  }

  route(accountId: string): ShardRoute {
    return this.#router.route(accountId);
  }

  /** With an Idempotency-Key, a retry answers the subscription the first try made. */
  async choose(accountId: string, planId: string, request?: IdempotentRequest): Promise<Created<Subscription>> {
    const plan = findPlan(planId);
    if (plan === undefined) throw new AppError(ApiErrors.unknownPlan, { details: { plan: planId } });
    const id = createPrefixedId('sub');
    return this.#router.write(accountId, (route) => this.#repository.create(route, { id, accountId, plan }, request));
  }

  async get(accountId: string, id: string): Promise<Subscription> {
    const found = await this.#repository.findById(this.route(accountId), accountId, id);
    if (found === undefined) throw new AppError(ApiErrors.subscriptionNotFound, { details: { accountId, id } });
    return found;
  }

  async cancel(accountId: string, id: string): Promise<Subscription> {
    return this.#router.write(accountId, (route) => this.#repository.cancel(route, accountId, id));
  }

  async charges(accountId: string, id: string): Promise<Charge[]> {
    const charges = await this.#repository.charges(this.route(accountId), accountId, id);
    if (charges === undefined) throw new AppError(ApiErrors.subscriptionNotFound, { details: { accountId, id } });
    return charges;
  }
}

export function createSubscriptionService(
  router: ShardRouter,
  repository: SubscriptionRepository,
): SubscriptionService {
  return new SubscriptionService(router, repository);
}
