import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import type { Registry } from '@sdl/metrics';
import type { Redis } from '@sdl/redis';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { HybridLogicalClock } from '../quorum/hybrid-logical-clock.js';
import { QuorumErrors } from '../quorum/quorum-errors.js';
import { createQuorumMetrics } from '../quorum/quorum-metrics.js';
import { createQuorumStore, type QuorumStore } from '../quorum/quorum-store.js';

export interface KvRoutesOptions {
  /** The N replicas (the lock Redis clients); none: every kv request answers 503 API_ERR_QUORUM_DISABLED. */
  readonly replicas: readonly Redis[];
  /** Issues this node's versions (node id = the tiebreak). */
  readonly nodeId: string;
  /** Defaults when a request names no w / r; undefined: a majority of N. */
  readonly w: number | undefined;
  readonly r: number | undefined;
  readonly logger: Logger;
  readonly registry: Registry;
}

const KEY = /^[A-Za-z0-9_.:-]{1,100}$/;
const DIGITS = /^[0-9]{1,3}$/;

// Fastify caps a path parameter at 100 characters (414 FST_ERR_MAX_PARAM_LENGTH beyond), before any regex.
const ParamsSchema = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
// Checked by hand, so that every bad w or r answers API_ERR_INVALID_QUORUM.
const Quorum = (what: string) => Type.Optional(Type.String({ maxLength: 16, description: `${what}: an integer 1..N` }));
const PutQuerySchema = Type.Object({ w: Quorum('acknowledgements to wait for') }, { additionalProperties: false });
const GetQuerySchema = Type.Object({ r: Quorum('replies to compare') }, { additionalProperties: false });
const PutBodySchema = Type.Object({ value: Type.String({ maxLength: 65_536 }) }, { additionalProperties: false });
const Common = { key: Type.String(), version: Type.String(), replicas: Type.Integer() };
const PutResultSchema = Type.Object({ ...Common, w: Type.Integer(), acks: Type.Integer() });
const GetResultSchema = Type.Object({ ...Common, value: Type.String(), r: Type.Integer(), answered: Type.Integer() });

type KeyParams = { key: string };

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new AppError(QuorumErrors.invalidKey, { details: { key: key.slice(0, 64) } });
  return key;
}

/** A request's w or r: its own value within 1..N, else the configured default. */
function quorumOf(name: 'w' | 'r', raw: string | undefined, fallback: number, n: number): number {
  const value = raw === undefined ? fallback : DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > n) {
    throw new AppError(QuorumErrors.invalidQuorum, { details: { [name]: raw ?? fallback, replicas: n } });
  }
  return value;
}

/**
 * `PUT /v1/kv/:key` and `GET /v1/kv/:key`: the quorum key-value store over the N lock Redis,
 * with `?w=` / `?r=` per request. Keys live under the caller's tenant: `kv:<tenant>:<key>`.
 */
export async function kvRoutes(app: FastifyInstance, options: KvRoutesOptions): Promise<void> {
  const n = options.replicas.length;
  const majority = Math.floor(n / 2) + 1;
  const defaults = { w: options.w ?? majority, r: options.r ?? majority };
  const store: QuorumStore | undefined =
    n === 0
      ? undefined
      : createQuorumStore({
          replicas: options.replicas,
          clock: new HybridLogicalClock(options.nodeId),
          metrics: createQuorumMetrics(options.registry),
          logger: options.logger,
        });
  // Writes beyond W and read repairs finish before the lock clients close (onClose).
  app.addHook('preClose', async () => store?.drain());

  const storeOf = (): QuorumStore => {
    if (store === undefined) throw new AppError(QuorumErrors.quorumDisabled);
    return store;
  };

  app.put<{ Params: KeyParams; Querystring: { w?: string }; Body: { value: string } }>(
    '/v1/kv/:key',
    {
      schema: {
        params: ParamsSchema,
        querystring: PutQuerySchema,
        body: PutBodySchema,
        response: { 200: PutResultSchema },
      },
    },
    async (req) => {
      const key = checkKey(req.params.key);
      const kv = storeOf();
      const w = quorumOf('w', req.query.w, defaults.w, n);
      const { version, acks } = await kv.put(`kv:${req.tenant}:${key}`, req.body.value, w);
      return { key, version, replicas: n, w, acks };
    },
  );

  app.get<{ Params: KeyParams; Querystring: { r?: string } }>(
    '/v1/kv/:key',
    { schema: { params: ParamsSchema, querystring: GetQuerySchema, response: { 200: GetResultSchema } } },
    async (req) => {
      const key = checkKey(req.params.key);
      const kv = storeOf();
      const r = quorumOf('r', req.query.r, defaults.r, n);
      const { value, version, answered } = await kv.get(`kv:${req.tenant}:${key}`, r);
      if (value === undefined || version === undefined) {
        throw new AppError(QuorumErrors.keyNotFound, { details: { key, answered, replicas: n } });
      }
      return { key, value, version, replicas: n, r, answered };
    },
  );
}
