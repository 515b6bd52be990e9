import { Type, type Static, type TNumber } from '@sinclair/typebox';
import { CHAOS_VERBS } from '@sdl/compose';

/** The operations the generator can send, each in one route class (reads or writes). */
export const OPERATIONS = [
  'account.create',
  'account.read',
  /** A read of the tenant's first account: one hot key for every request (a stampede after a cache flush). */
  'account.read.hot',
  /** A read of one of the tenant's accounts drawn by Zipf's law (s = 1: the k-th most read k times rarer than the first). */
  'account.read.zipf',
  /** A read of a random account id that does not exist (cache penetration): 404 is its expected answer, counted ok. */
  'account.read.missing',
  'post.create',
  'post.read',
  'view',
  'subscription.create',
  /** `PUT /v1/kv/:key` on one of the tenant's few keys: the quorum store over the three lock Redis (W acks). */
  'kv.write',
  /** `GET /v1/kv/:key` of a key the tenant wrote (the newest of R replies): quorum-reads-fresh judges it. */
  'kv.read',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Route classes an SLO can name: `all` is every request of the run. */
export const ROUTE_CLASSES = ['all', 'read', 'write'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const SloSchema = Type.Object(
  {
    class: literals(ROUTE_CLASSES),
    /** Fraction of requests answered 2xx (1 = none may fail). */
    successRatio: Type.Number({ minimum: 0, maximum: 1 }),
    /** p99 latency from the intended send time, over the whole run; omitted = not judged. */
    p99Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);
/** An objective as judged: explicit, or resolved from a standing SLO (infra/slo/slos.yaml) named `name`. */
export type Slo = Static<typeof SloSchema> & { readonly name?: string };

/** A standing SLO by name (`read`), its objectives taken from the SLO file unless given here. */
export const SloRefSchema = Type.Object(
  {
    slo: Type.String({ minLength: 1 }),
    successRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    p99Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);
export type SloRef = Static<typeof SloRefSchema>;

/** One entry of `hypothesis.slos`: a standing SLO's name, a reference with overrides, or explicit objectives. */
export const SloEntrySchema = Type.Union([
  Type.String({ minLength: 1, description: 'the name of a standing SLO' }),
  Type.Object(SloRefSchema.properties, { additionalProperties: false, description: 'slo: NAME, overrides' }),
  Type.Object(SloSchema.properties, { additionalProperties: false, description: 'class, successRatio, p99Ms' }),
]);
/** The schema of one `hypothesis.slos` entry, picked by its shape (for precise errors). */
export function sloSchemaFor(entry: unknown) {
  if (typeof entry === 'string') return Type.String({ minLength: 1 });
  return entry !== null && typeof entry === 'object' && 'slo' in entry ? SloRefSchema : SloSchema;
}

/** Oracles checked after the run (src/oracles/). */
export const INVARIANTS = [
  'no-acknowledged-write-lost',
  'cluster-healthy-after',
  'billing-exactly-once',
  'outbox-no-loss',
  'rate-limit-held',
  'stampede-bounded',
  'l1-absorbed-reads',
  'no-stale-reads',
  'stale-reads-labelled',
  'quorum-reads-fresh',
  'ledger-exactly-once',
  'relay-lock-restart',
  'penetration-bounded',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

const RateSchema = Type.Union([
  Type.Object(
    { constant: Type.Number({ exclusiveMinimum: 0 }) },
    { additionalProperties: false, description: 'constant: requests/s' },
  ),
  Type.Object(
    { from: Type.Number({ minimum: 0 }), to: Type.Number({ minimum: 0 }) },
    { additionalProperties: false, description: 'ramping: linear from `from` to `to` requests/s over the run' },
  ),
]);

export const LoadSchema = Type.Object(
  {
    /** Requests per second (open model: sent on schedule whether or not earlier ones answered). */
    rate: RateSchema,
    durationS: Type.Number({ exclusiveMinimum: 0, maximum: 3600 }),
    /** Operation -> weight (any positive numbers; normalised). */
    mix: Type.Partial(
      Type.Object(
        Object.fromEntries(OPERATIONS.map((op) => [op, Type.Number({ exclusiveMinimum: 0 })])) as Record<
          Operation,
          TNumber
        >,
        {
          additionalProperties: false,
          minProperties: 1,
        },
      ),
    ),
    /** API keys, one picked per request (the lab's demo keys). */
    keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: ['lab-demo-key'] }),
    /** At most this many requests in flight; beyond it a request is not sent and counts as failed (`dropped`). */
    maxInFlight: Type.Integer({ minimum: 1, default: 256 }),
    /** Per-request timeout (its answer then counts as failed `timeout`). */
    timeoutMs: Type.Integer({ minimum: 1, default: 15_000 }),
    /** Accounts (and a post each) made per key before the run, for the reads to find. */
    seedAccounts: Type.Integer({ minimum: 1, default: 20 }),
    /**
     * A second open-model stream beside the mix, on one API key and a cheap route, at its own rate:
     * a key pushed past its limit while the mix's tenants go on. Its answers are not in the SLO
     * classes; the rate-limit-held oracle judges them (admitted per window, 429 for the rest).
     */
    spike: Type.Optional(
      Type.Object(
        {
          key: Type.String({ minLength: 1 }),
          rate: Type.Number({ exclusiveMinimum: 0, description: 'requests/s, constant over the run' }),
          path: Type.String({ pattern: '^/', default: '/v1/whoami' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Load = Static<typeof LoadSchema>;

/** The lab's own knobs a step or `--set` can turn. */
export const KNOB_PATTERN =
  '^(lb\\.strategy|api\\.[A-Za-z][A-Za-z0-9]*|payments\\.[A-Za-z]+|billing\\.[A-Za-z]+|cache\\.flush|limiter\\.failMode|lockRedis\\.persistence|shard[0-9]+\\.syncMode)$';

const DockerStepSchema = Type.Object(
  {
    at: Type.Number({ minimum: 0 }),
    action: literals(CHAOS_VERBS),
    service: Type.String({ minLength: 1 }),
    /** For disconnect/connect: the compose network (default `default`; `coord` is etcd's). */
    network: Type.Optional(Type.Union([Type.Literal('default'), Type.Literal('coord')])),
  },
  { additionalProperties: false },
);

const KnobStepSchema = Type.Object(
  {
    at: Type.Number({ minimum: 0 }),
    action: Type.Literal('knob'),
    /** `lb.strategy`, `payments.FLAG` (the provider's fault flags), `billing.FIELD`, `cache.flush`, `limiter.failMode`, `lockRedis.persistence`, `shardN.syncMode` (src/faults/lab-executor.ts). */
    knob: Type.String({ pattern: KNOB_PATTERN }),
    value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const StepSchema = Type.Union([DockerStepSchema, KnobStepSchema]);
export type Step = Static<typeof StepSchema>;
/** A rollback is a step without an offset: all of them run, in order, after the method. */
export const RollbackSchema = Type.Union([Type.Omit(DockerStepSchema, ['at']), Type.Omit(KnobStepSchema, ['at'])]);
export type Rollback = Static<typeof RollbackSchema>;
/** The schema of one step or rollback, picked by its action (for precise errors: a union only says "no match"). */
export function stepSchemaFor(action: unknown, rollback: boolean) {
  const schema = action === 'knob' ? KnobStepSchema : DockerStepSchema;
  return rollback ? Type.Omit(schema, ['at']) : schema;
}

export const ExperimentSchema = Type.Object(
  {
    title: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    hypothesis: Type.Object(
      {
        /** Objectives judged over the run: standing SLOs by name (infra/slo/slos.yaml) or explicit ones. */
        slos: Type.Array(SloEntrySchema, { minItems: 1 }),
        invariants: Type.Array(literals(INVARIANTS), { default: [] }),
        /** Seconds the cluster gets to be healthy after the rollbacks (cluster-healthy-after). */
        healthyWithinS: Type.Number({ exclusiveMinimum: 0, default: 90 }),
      },
      { additionalProperties: false },
    ),
    load: LoadSchema,
    /**
     * Knobs set before the seed and the load, in order, and reset among the rollbacks, as `--set`
     * does (a `--set`/`--compare` of the same knob wins): the side of a trade-off the file shows.
     */
    settings: Type.Optional(Type.Array(Type.Omit(KnobStepSchema, ['at', 'action']))),
    method: Type.Array(StepSchema, { default: [] }),
    rollbacks: Type.Array(RollbackSchema, { default: [] }),
    /** The CI form: overrides of the load (shorter, slower) and a scale for the method's offsets. */
    short: Type.Optional(
      Type.Object(
        {
          durationS: Type.Number({ exclusiveMinimum: 0 }),
          rate: Type.Optional(RateSchema),
          /** Offsets of the method are multiplied by this (default: short duration / full duration). */
          timeScale: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
/** An experiment file as written (`hypothesis.slos` may name standing SLOs). */
export type ExperimentFile = Static<typeof ExperimentSchema>;
/** An experiment as it runs: every SLO resolved to its objectives. */
export type Experiment = Omit<ExperimentFile, 'hypothesis'> & {
  hypothesis: Omit<ExperimentFile['hypothesis'], 'slos'> & { slos: Slo[] };
};
