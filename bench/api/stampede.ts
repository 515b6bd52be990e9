// Benchmark 3 (issue 4): stampede on one cold key. Three api nodes share one Postgres and one
// Redis; per round one seeded account's cache entry is cold (FLUSHDB), then REQUESTS GETs of it go
// out at once, spread round-robin over the three nodes on keep-alive sockets opened beforehand.
// Database reads = the cluster-wide delta of api_db_query_duration_seconds_count{op="account_get"}.
// Phases, three fresh nodes each: CACHE_FILL_LEASE_MS=0 (single-flight only: one read per node
// that sees concurrent misses, so up to 3) and CACHE_FILL_LEASE_MS=LEASE_MS (cross-node fill lease:
// goal 1). A build without the lease ignores the variable: both phases then show single-flight alone.
// A third phase, CACHE_STAMPEDE=xfetch (issue 14): no lease, and a cold key has nothing to refresh
// early, so expect phase 1's figures; XFetch's case, a hot key at expiry, is stampede-expiry.ts.
// A cache GET that times out (REDIS_TIMEOUT_MS) answers `bypass` and reads Postgres outside the lease.
// Build first (`npx tsc -b`). Usage: node bench/api/stampede.ts
//   (env REQUESTS=500 ROUNDS=10 LEASE_MS=500 REDIS_TIMEOUT_MS=100)
import { Agent } from 'node:http';
import { createLogger } from '../../libs/logging/dist/index.js';
import { createRedisClient } from '../../libs/redis/dist/index.js';
import {
  clusterMetric,
  getAnswer as get,
  median,
  percentile,
  runBench,
  seed,
  startApi,
  startInfra,
  table,
  type ApiNode,
} from './stack.ts';

const REQUESTS = Number(process.env.REQUESTS ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const LEASE_MS = process.env.LEASE_MS ?? '500';
// The api's default; a cache command slower than this under the burst is a `bypass` read of Postgres.
const REDIS_TIMEOUT_MS = process.env.REDIS_TIMEOUT_MS ?? '100';
const NODES = 3;

interface PhaseResult {
  readonly reads: number[];
  readonly misses: number[];
  /** Answers that skipped Redis (a cache command failed or timed out) and read Postgres directly. */
  bypass: number;
  errors: number;
  readonly p99: number[];
  readonly lease: Record<string, number>;
}

async function phase(
  nodes: readonly ApiNode[],
  accounts: readonly string[],
  flush: () => Promise<unknown>,
): Promise<PhaseResult> {
  const perNode = Math.ceil(REQUESTS / nodes.length);
  const agents = nodes.map(() => new Agent({ keepAlive: true, maxSockets: perNode, maxFreeSockets: perNode }));
  const result: PhaseResult = { reads: [], misses: [], bypass: 0, p99: [], errors: 0, lease: {} };
  const leaseBefore = await leaseOutcomes(nodes);
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      // Open every socket first, so the GETs below leave together instead of behind 500 connects.
      await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          get(agents[i % nodes.length]!, `${nodes[i % nodes.length]!.url}/healthz`),
        ),
      );
      const id = accounts[round % accounts.length]!;
      await flush();
      const before = await clusterMetric(nodes, 'api_db_query_duration_seconds_count', { op: 'account_get' });
      const answers = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          get(agents[i % nodes.length]!, `${nodes[i % nodes.length]!.url}/v1/accounts/${id}`),
        ),
      );
      result.reads.push(
        (await clusterMetric(nodes, 'api_db_query_duration_seconds_count', { op: 'account_get' })) - before,
      );
      result.misses.push(answers.filter((a) => a.cache === 'miss').length);
      result.bypass += answers.filter((a) => a.cache === 'bypass').length;
      result.p99.push(
        percentile(
          answers.map((a) => a.ms).sort((a, b) => a - b),
          99,
        ),
      );
      result.errors += answers.filter((a) => a.status !== 200).length;
    }
  } finally {
    for (const a of agents) a.destroy();
  }
  const leaseAfter = await leaseOutcomes(nodes);
  for (const [k, v] of Object.entries(leaseAfter)) result.lease[k] = v - (leaseBefore[k] ?? 0);
  return result;
}

/** api_cache_fill_lease_total per outcome, summed over the nodes (empty on a build without it). */
async function leaseOutcomes(nodes: readonly ApiNode[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const outcome of ['won', 'waited', 'fallback', 'off']) {
    out[outcome] = await clusterMetric(nodes, 'api_cache_fill_lease_total', { entity: 'account', outcome });
  }
  return out;
}

await runBench('stampede', 400 + ROUNDS * 30, async () => {
  const infra = await startInfra({ redis: true });
  const redis = createRedisClient({
    url: infra.redisUrl!,
    timeoutMs: 5000,
    logger: createLogger({ name: 'bench', level: 'warn' }),
    name: 'bench',
  });
  const phases: [string, PhaseResult][] = [];
  try {
    let accounts: string[] = [];
    // The third phase, CACHE_STAMPEDE=xfetch, has no lease: XFetch only refreshes keys that are
    // cached, so a cold key is single-flight alone (as phase 1); see stampede-expiry.ts for hot keys.
    for (const [lease, stampede] of [
      ['0', 'lease'],
      [LEASE_MS, 'lease'],
      [LEASE_MS, 'xfetch'],
    ] as const) {
      const env = {
        SHARD_PRIMARIES: infra.pgUrl,
        REDIS_CACHE_URL: infra.redisUrl!,
        REDIS_TIMEOUT_MS: REDIS_TIMEOUT_MS,
        CACHE_FILL_LEASE_MS: lease,
        CACHE_STAMPEDE: stampede,
        PG_POOL_MAX: '10',
      };
      const nodes: ApiNode[] = [];
      for (let i = 1; i <= NODES; i += 1) nodes.push(await startApi(i, env));
      if (accounts.length === 0) accounts = (await seed(infra.pgUrl, ROUNDS)).accounts;
      const name = stampede === 'lease' ? `CACHE_FILL_LEASE_MS=${lease}` : `CACHE_STAMPEDE=${stampede}`;
      phases.push([name, await phase(nodes, accounts, () => redis.flushdb())]);
      for (const n of nodes) await n.stop();
    }
  } finally {
    redis.disconnect();
  }

  console.log(
    `\nstampede: ${REQUESTS} concurrent GET /v1/accounts/:id of one cold key, round-robin over ${NODES} api nodes (shared Postgres + Redis, REDIS_TIMEOUT_MS=${REDIS_TIMEOUT_MS}), ${ROUNDS} rounds (one key each) per setting\n`,
  );
  console.log(
    table(
      [
        'setting',
        'db reads per round (median)',
        'max',
        'min',
        'x-cache: miss answers (median)',
        'bypass answers (all rounds)',
        'p99 ms (median)',
        'lease outcomes (won/waited/fallback/off)',
        'errors',
        'goal 1: met in',
      ],
      phases.map(([name, r]) => [
        name,
        median(r.reads),
        Math.max(...r.reads),
        Math.min(...r.reads),
        median(r.misses),
        r.bypass,
        median(r.p99).toFixed(1),
        ['won', 'waited', 'fallback', 'off'].map((k) => r.lease[k] ?? 0).join('/'),
        r.errors,
        `${r.reads.filter((n) => n === 1).length}/${r.reads.length} rounds`,
      ]),
    ),
  );
  console.log(`\nreads per round: ${phases.map(([name, r]) => `${name}: ${r.reads.join(' ')}`).join('; ')}`);
});
