import { AppError } from '@sdl/errors';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LbControl } from '../control.js';
import { LbAdminErrors } from '../errors.js';
import { parseHashKey } from '../strategies/hash-key.js';
import { isStrategyName, strategyNames } from '../strategies/strategy.js';

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
function parseWeights(raw: unknown, known: ReadonlySet<string>): Record<string, number | null> {
  const bad = (why: string) => new AppError(LbAdminErrors.badWeights, { details: { reason: why } });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('weights must be an object');
  const weights: Record<string, number | null> = {};
  for (const [id, value] of Object.entries(raw)) {
    if (!known.has(id)) throw bad(`unknown host "${id}"`);
    if (value === null || (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_WEIGHT))
      weights[id] = value;
    else throw bad(`weight of "${id}" must be a number 0..${MAX_WEIGHT} or null`);
  }
  return weights;
}

/** GET /admin/lb (state) and PUT /admin/lb/strategy (run-time switch), on the admin port. */
export function registerAdminRoutes(app: FastifyInstance, control: LbControl): void {
  app.get('/admin/lb', async () => control.state());

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
      const parsed = weights === undefined ? {} : parseWeights(weights, control.hostIds());
      // Everything is valid: apply (every worker's data plane, with LB_WORKERS > 1).
      await control.apply({ strategy, hashKey, weights: parsed });
      const state = await control.state();
      req.log.info({ strategy, hashKey: state.hashKey, weights: parsed }, 'strategy switched');
      return state;
    },
  );
}
