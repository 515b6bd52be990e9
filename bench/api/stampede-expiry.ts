// Issue 14: a hot key at its expiry, per stampede setting. Three api nodes (shared Postgres and
// Redis, CACHE_TTL_S=1) serve CONCURRENCY closed-loop clients that GET one account for DURATION
// seconds, round-robin over the nodes, so the key expires about once a second under steady load.
// Per CACHE_STAMPEDE (lease, xfetch, none; three fresh nodes each): database reads (the cluster-wide
// delta of api_db_query_duration_seconds_count{op="account_get"}), answers with x-cache: miss
// (a reader that found the key gone), early refreshes (api_cache_early_refresh_total), lease
// outcomes and latency. XFetch should refresh before the expiry (no misses, about one read per
// TTL); the lease lets one node read and makes the others wait; none reads once per node.
// Build first (`npx tsc -b`). Usage: node bench/api/stampede-expiry.ts
//   (env CONCURRENCY=24 DURATION=10 LEASE_MS=500 XFETCH_BETA=1 REDIS_TIMEOUT_MS=100 SETTINGS=lease,xfetch,none)
import { Agent } from 'node:http';
import {
  clusterMetric,
  getAnswer,
  percentile,
  runBench,
  seed,
  startApi,
  startInfra,
  table,
  type Answer,
  type ApiNode,
} from './stack.ts';

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 24);
const DURATION_S = Number(process.env.DURATION ?? 10);
const SETTINGS = (process.env.SETTINGS ?? 'lease,xfetch,none').split(',');
const NODES = 3;

interface Result {
  readonly answers: number;
  readonly reads: number;
  readonly misses: number;
  readonly bypass: number;
  readonly errors: number;
  readonly refreshes: number;
  readonly lease: string;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

async function run(nodes: readonly ApiNode[], id: string): Promise<Result> {
  const agents = nodes.map(() => new Agent({ keepAlive: true, maxSockets: CONCURRENCY }));
  const url = (i: number) => `${nodes[i % NODES]!.url}/v1/accounts/${id}`;
  await getAnswer(agents[0]!, url(0)); // the fill: the key is hot from here on
  const counters = async () => ({
    reads: await clusterMetric(nodes, 'api_db_query_duration_seconds_count', { op: 'account_get' }),
    refreshes: await clusterMetric(nodes, 'api_cache_early_refresh_total', { outcome: 'refreshed' }),
    lease: await Promise.all(
      ['won', 'waited', 'fallback'].map((o) => clusterMetric(nodes, 'api_cache_fill_lease_total', { outcome: o })),
    ),
  });
  const before = await counters();
  const answers: Answer[] = [];
  const deadline = performance.now() + DURATION_S * 1000;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const i = next++;
          answers.push(await getAnswer(agents[i % NODES]!, url(i)));
        }
      }),
    );
  } finally {
    for (const a of agents) a.destroy();
  }
  const after = await counters();
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  return {
    answers: answers.length,
    reads: after.reads - before.reads,
    misses: answers.filter((a) => a.cache === 'miss').length,
    bypass: answers.filter((a) => a.cache === 'bypass').length,
    errors: answers.filter((a) => a.status !== 200).length,
    refreshes: after.refreshes - before.refreshes,
    lease: after.lease.map((v, i) => v - before.lease[i]!).join('/'),
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: ms.at(-1) ?? NaN,
  };
}

await runBench('stampede-expiry', 120 + SETTINGS.length * (DURATION_S + 40), async () => {
  const infra = await startInfra({ redis: true });
  const results: [string, Result][] = [];
  let id: string | undefined;
  for (const stampede of SETTINGS) {
    const env = {
      SHARD_PRIMARIES: infra.pgUrl,
      REDIS_CACHE_URL: infra.redisUrl!,
      REDIS_TIMEOUT_MS: process.env.REDIS_TIMEOUT_MS ?? '100',
      CACHE_TTL_S: '1',
      CACHE_STAMPEDE: stampede,
      CACHE_FILL_LEASE_MS: process.env.LEASE_MS ?? '500',
      CACHE_XFETCH_BETA: process.env.XFETCH_BETA ?? '1',
      PG_POOL_MAX: '10',
    };
    const nodes: ApiNode[] = [];
    for (let i = 1; i <= NODES; i += 1) nodes.push(await startApi(i, env));
    id ??= (await seed(infra.pgUrl, 1)).accounts[0]!;
    results.push([stampede, await run(nodes, id)]);
    for (const n of nodes) await n.stop();
  }
  console.log(
    `\nstampede at expiry: ${CONCURRENCY} closed-loop clients GET one account for ${DURATION_S} s, round-robin over ${NODES} api nodes, CACHE_TTL_S=1 (about ${DURATION_S} expiries per setting)\n`,
  );
  console.log(
    table(
      [
        `CACHE_STAMPEDE (XFETCH_BETA=${process.env.XFETCH_BETA ?? '1'})`,
        'answers',
        'db reads',
        'db reads per s (per expiry)',
        'x-cache: miss',
        'bypass',
        'early refreshes',
        'lease won/waited/fallback',
        'p50 ms',
        'p99 ms',
        'max ms',
        'errors',
      ],
      results.map(([name, r]) => [
        name,
        r.answers,
        r.reads,
        (r.reads / DURATION_S).toFixed(1),
        r.misses,
        r.bypass,
        r.refreshes,
        r.lease,
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        r.max.toFixed(1),
        r.errors,
      ]),
    ),
  );
});
