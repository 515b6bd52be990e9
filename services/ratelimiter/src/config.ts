import { FailModeSchema } from '@sdl/config';
import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { ALGORITHM_NAMES } from './algorithms/rate-limit-algorithm.js';

/** One limit: at most `limit` cost units per `windowMs`. */
export const LimitSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1 }),
    windowMs: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type Limit = Static<typeof LimitSchema>;

/** The default limit and per-client overrides keyed by client name (the gateway's API key name). */
export const LimitsSchema = Type.Object(
  {
    default: LimitSchema,
    clients: Type.Record(Type.String(), LimitSchema, { default: {} }),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof LimitsSchema>;

export { type FailMode } from '@sdl/config';

export const RateLimiterConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3001 }),
  redisUrl: Type.String({ minLength: 1, default: 'redis://127.0.0.1:6379' }),
  /** Bound on every Redis command: a slow Redis must not stall the gateway's request. */
  redisTimeoutMs: Type.Integer({ minimum: 1, default: 100 }),
  limits: Type.Object(LimitsSchema.properties, {
    additionalProperties: false,
    default: { default: { limit: 100, windowMs: 1000 }, clients: {} },
  }),
  /** The answer when Redis fails or times out: admit (`open`) or deny (`closed`); a rule may override it. */
  failMode: Type.Union(FailModeSchema.anyOf, { default: 'open' }),
  /** A JSON rules file (see README); empty: rules are built from `limits` with `limitsAlgorithm`. */
  rulesFile: Type.String({ default: '' }),
  /** Poll interval for rules-file changes, on top of fs.watch (which misses some edits, e.g. on bind mounts). */
  rulesPollMs: Type.Integer({ minimum: 50, default: 2000 }),
  /** The algorithm of the rules built from `limits`. */
  limitsAlgorithm: Type.Union(
    ALGORITHM_NAMES.map((n) => Type.Literal(n)),
    { default: 'fixed-window' },
  ),
});
export type RateLimiterConfig = Static<typeof RateLimiterConfigSchema>;
