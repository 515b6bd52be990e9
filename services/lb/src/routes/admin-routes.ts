import { AppError } from '@sdl/errors';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Balancer } from '../balancer.js';
import { LbAdminErrors } from '../errors.js';
import { parseHashKey } from '../strategies/hash-key.js';
import { isStrategyName, strategyNames } from '../strategies/strategy.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';

const StrategyBody = Type.Object(
  {
    strategy: Type.String({ minLength: 1, maxLength: 64 }),
    hashKey: Type.Optional(Type.String({ maxLength: 200 })),
    /** Host id -> weight override; null clears the override (back to the registered weight). */
    weights: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const MAX_WEIGHT = 1000;

/** Checks every weight before any is applied, so a bad entry leaves all of them unchanged. */
function parseWeights(raw: unknown, known: ReadonlySet<string>): Map<string, number | undefined> {
  const bad = (why: string) => new AppError(LbAdminErrors.badWeights, { details: { reason: why } });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('weights must be an object');
  const weights = new Map<string, number | undefined>();
  for (const [id, value] of Object.entries(raw)) {
    if (!known.has(id)) throw bad(`unknown host "${id}"`);
    if (value === null) weights.set(id, undefined);
    else if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_WEIGHT)
      weights.set(id, value);
    else throw bad(`weight of "${id}" must be a number 0..${MAX_WEIGHT} or null`);
  }
  return weights;
}

/** GET /admin/lb (state) and PUT /admin/lb/strategy (run-time switch), on the admin port. */
export function registerAdminRoutes(app: FastifyInstance, balancer: Balancer, upstreams: UpstreamSet): void {
  const state = () => ({
    strategy: balancer.strategy,
    hashKey: balancer.hashKey,
    panicking: balancer.panicking,
    ...(balancer.routes.length === 0 ? {} : { routes: balancer.routes }),
    hosts: upstreams.list().map((host) => host.toJSON()),
  });

  app.get('/admin/lb', async () => state());

  app.put<{ Body: Static<typeof StrategyBody> }>(
    '/admin/lb/strategy',
    { schema: { body: StrategyBody } },
    async (req) => {
      const { strategy, hashKey, weights } = req.body;
      if (!isStrategyName(strategy)) {
        throw new AppError(LbAdminErrors.unknownStrategy, { details: { strategy, known: strategyNames } });
      }
      if (hashKey !== undefined) {
        try {
          parseHashKey(hashKey);
        } catch {
          throw new AppError(LbAdminErrors.badHashKey, { details: { hashKey } });
        }
      }
      const hosts = new Map(upstreams.list().map((h) => [h.id, h]));
      const parsed =
        weights === undefined ? new Map<string, number | undefined>() : parseWeights(weights, new Set(hosts.keys()));
      // Everything is valid: apply. Weights first, so the new strategy's first pick sees them.
      for (const [id, weight] of parsed) hosts.get(id)?.overrideWeight(weight);
      balancer.use(strategy, hashKey);
      req.log.info({ strategy, hashKey: balancer.hashKey, weights: Object.fromEntries(parsed) }, 'strategy switched');
      return state();
    },
  );
}
