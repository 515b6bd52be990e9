import type { ConfigIssue } from '@sdl/config';
import { BaseConfigSchema, LoadSheddingConfigSchema } from '@sdl/server';
import { Type, type Static } from '@sinclair/typebox';
import { REPLACEMENT_POLICIES } from './cache/eviction/policy.js';

const CommaList = (description: string, minItems = 0) =>
  Type.Array(Type.String({ minLength: 1 }), { default: [], minItems, description });

const CacheMode = (defaultMode: 'write-through' | 'write-around') =>
  Type.Union([Type.Literal('write-through'), Type.Literal('write-around'), Type.Literal('off')], {
    default: defaultMode,
  });

/** Every setting of an api node; each property is read from its UPPER_SNAKE env var. */
export const ApiConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  ...LoadSheddingConfigSchema.properties,
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  /** The admin listener (partition moves for the console; probes, metrics): compose network only. 0: none. */
  adminPort: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /**
   * The secret the gateway sends in x-gateway-secret (its own GATEWAY_SECRET); when set, requests
   * without it are refused (401 API_ERR_NOT_FROM_GATEWAY). Unset: anyone may call, as any tenant.
   */
  gatewaySecret: Type.Optional(Type.String({ minLength: 16 })),
  /** URL the lb uses to reach this node; defaults to http://<NODE_ID>:<PORT>. */
  advertiseUrl: Type.Optional(Type.String({ minLength: 1 })),
  etcdEndpoints: CommaList('etcd endpoints; empty disables registration'),
  registryPrefix: Type.String({ minLength: 1, default: '/sdl/services/api/' }),
  registryTtlS: Type.Integer({ minimum: 1, default: 5 }),
  /** etcd key of the versioned shard map every node watches (partition moves change it). */
  shardMapKey: Type.String({ minLength: 1, default: '/sdl/shard-map' }),
  weight: Type.Integer({ minimum: 0, default: 1 }),
  shardPrimaries: CommaList('postgres URL of each shard primary; index = shard number', 1),
  shardReplicas: CommaList('postgres URL of each shard streaming replica (same order); `-` = none for that shard'),
  /** How often each replica's replay position and lag are probed. */
  replicaProbeMs: Type.Integer({ minimum: 10, default: 500 }),
  /**
   * The probe period once no read has asked for a replica for this long (an idle node); the next
   * read probes at once. At or below REPLICA_PROBE_MS: always the busy period.
   */
  replicaIdleProbeMs: Type.Integer({ minimum: 10, default: 5000 }),
  /**
   * Reads without `x-read-token`: `primary` (default: a client that wrote through another node and
   * sends no token still reads its write) or `replica` (the replica while within both lag bounds).
   */
  tokenlessReads: Type.Union([Type.Literal('primary'), Type.Literal('replica')], { default: 'primary' }),
  /** A read without a token uses the replica only while its lag is within both bounds. */
  maxReplicaLagMs: Type.Integer({ minimum: 0, default: 1000 }),
  /**
   * CAP under a partition, when a shard's primary is unreachable: `consistency` answers 503 to a
   * read the replica cannot prove fresh; `availability` serves the replica's copy with `x-stale: true`.
   */
  partitionMode: Type.Union([Type.Literal('consistency'), Type.Literal('availability')], {
    default: 'consistency',
  }),
  maxReplicaLagBytes: Type.Integer({ minimum: 0, default: 16_777_216 }),
  pgPoolMax: Type.Integer({ minimum: 1, default: 10 }),
  pgConnectTimeoutMs: Type.Integer({ minimum: 1, default: 2000 }),
  pgStatementTimeoutMs: Type.Integer({ minimum: 1, default: 5000 }),
  /** Unset: no cache at all (every read is a bypass). */
  redisCacheUrl: Type.Optional(Type.String({ minLength: 1 })),
  redisTimeoutMs: Type.Integer({ minimum: 1, default: 100 }),
  cacheTtlS: Type.Integer({ minimum: 1, default: 300 }),
  kafkaBrokers: CommaList('Kafka bootstrap brokers; empty disables the outbox relay'),
  /** The outbox relay's producer acks: `0` (none), `1` (the leader), `all` (every in-sync replica). */
  kafkaAcks: Type.Union([Type.Literal('0'), Type.Literal('1'), Type.Literal('all')], { default: 'all' }),
  /** Idempotent producer (needs KAFKA_ACKS=all); a broker that refuses it (the mock) is logged, not fatal. */
  kafkaIdempotent: Type.Boolean({ default: false }),
  /** With OUTBOX_NOTIFY the relay is woken on each commit and this poll is only a safety net. */
  outboxPollMs: Type.Integer({ minimum: 10, default: 5000 }),
  /** LISTEN/NOTIFY wakes the relay (false: it finds new rows by polling alone; set OUTBOX_POLL_MS=250). */
  outboxNotify: Type.Boolean({ default: true }),
  outboxBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  /** Independent Redis instances of the outbox relay's Redlock (one per shard); empty: every node relays. */
  redisLockUrls: CommaList('lock Redis URLs (3 for a majority of 2); empty disables the relay lock'),
  /** TTL of a shard's relay lock; the holder extends it every third of it. */
  outboxLockTtlMs: Type.Integer({ minimum: 500, default: 5000 }),
  /**
   * Quorum key-value store (/v1/kv) over the lock Redis (N = their count): acknowledgements a write
   * waits for and replies a read compares, unless a request names its own (?w= / ?r=). Unset: a
   * majority of N. W + R > N: reads see the latest acknowledged write; W + R <= N: they may not.
   */
  quorumW: Type.Optional(Type.Integer({ minimum: 1 })),
  quorumR: Type.Optional(Type.Integer({ minimum: 1 })),
  accountsTopic: Type.String({ minLength: 1, default: 'accounts.events' }),
  postsTopic: Type.String({ minLength: 1, default: 'posts.events' }),
  subscriptionsTopic: Type.String({ minLength: 1, default: 'subscriptions.events' }),
  /** Charge events, written to the outbox by billing-leader; the billing ledger projection consumes them. */
  billingTopic: Type.String({ minLength: 1, default: 'billing.events' }),
  accountsCacheMode: CacheMode('write-through'),
  postsCacheMode: CacheMode('write-around'),
  /** TTL of the marker that remembers a missing id (negative caching). */
  negativeCacheTtlS: Type.Integer({ minimum: 1, default: 5 }),
  /** Cross-node stampede lease after a miss (one database read cluster-wide); 0 disables it. */
  cacheFillLeaseMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 500 }),
  /**
   * Stampede protection: `lease` (the fill lease above, after a miss), `xfetch` (no lease; a hot
   * key is refreshed early, with a probability that grows as its expiry nears, see cache/xfetch.ts)
   * or `none` (per-node single-flight only).
   */
  cacheStampede: Type.Union([Type.Literal('lease'), Type.Literal('xfetch'), Type.Literal('none')], {
    default: 'lease',
  }),
  /** XFetch's beta: > 1 refreshes earlier, < 1 later. */
  cacheXfetchBeta: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1 }),
  /** In-process L1 entries per entity in front of Redis; 0 disables the L1. */
  cacheL1Entries: Type.Integer({ minimum: 0, default: 0 }),
  /** Which entry a full L1 drops (see cache/eviction/). */
  cacheL1Policy: Type.Union(
    REPLACEMENT_POLICIES.map((p) => Type.Literal(p)),
    { default: 'lru' },
  ),
  /** L1 entry lifetime: the staleness bound when invalidation events are late or lost. */
  cacheL1TtlMs: Type.Integer({ minimum: 1, default: 1000 }),
  /** write-back: Redis counters flushed every VIEWS_FLUSH_MS; off: every increment is an UPDATE. */
  viewsMode: Type.Union([Type.Literal('write-back'), Type.Literal('off')], { default: 'write-back' }),
  viewsFlushMs: Type.Integer({ minimum: 10, default: 1000 }),
  /**
   * Bloom filter of existing ids per entity (accounts, posts, subscriptions) in the cache Redis,
   * in front of the database: a read of an id it says is absent answers 404 without a query (see
   * src/bloom-filter/). `on` fails open until it is built (`./lab bloom rebuild`) and while Redis is down.
   */
  bloomFilter: Type.Union([Type.Literal('off'), Type.Literal('on')], { default: 'off' }),
  /** n: the ids each filter is sized for (m = -n ln p / (ln 2)^2 bits); used by the rebuild. */
  bloomExpectedItems: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 1_000_000 }),
  /** p: the false-positive rate the filter is sized for at n ids (k = (m / n) ln 2 hashes). */
  bloomFalsePositiveRate: Type.Number({ minimum: 0.000001, maximum: 0.5, default: 0.01 }),
});

export type ApiConfig = Static<typeof ApiConfigSchema>;

/** Rules that span settings: one replica URL (or `-`) per shard primary, when replicas are given; W, R <= N. */
export function checkApiConfig(config: ApiConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.shardReplicas.length > 0 && config.shardReplicas.length !== config.shardPrimaries.length) {
    issues.push({
      key: 'SHARD_REPLICAS',
      message: `needs one URL per shard primary (${config.shardPrimaries.length})`,
    });
  }
  const n = config.redisLockUrls.length;
  for (const [key, value] of [
    ['QUORUM_W', config.quorumW],
    ['QUORUM_R', config.quorumR],
  ] as const) {
    if (value !== undefined && value > n) issues.push({ key, message: `at most N = ${n} (the REDIS_LOCK_URLS)` });
  }
  if (config.kafkaIdempotent && config.kafkaAcks !== 'all') {
    issues.push({ key: 'KAFKA_IDEMPOTENT', message: `needs KAFKA_ACKS=all (is ${config.kafkaAcks})` });
  }
  return issues;
}
