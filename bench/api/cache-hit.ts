// Benchmark 1 (issue 4): a cache-hit GET /v1/accounts/:id on one api node vs the same node's
// static route GET /v1/whoami (no database, no Redis), same wrk load, same concurrency.
// One Postgres + one Redis container, one api node; ACCOUNTS accounts seeded into Postgres, each
// read once (miss -> fills Redis), then ROUNDS interleaved rounds of DURATION s per target.
// Every hit run is checked against the node's api_cache_requests_total{result="hit"} delta.
// Build first (`npx tsc -b`). Usage: node bench/api/cache-hit.ts
//   (env CONCURRENCY=32 DURATION=10 ROUNDS=3 ACCOUNTS=1000 REDIS=local|container CACHE_L1_ENTRIES=0)
import { httpGet, median, metric, psql, runBench, seed, startApi, startInfra, table } from './stack.ts';
import { pathsScript, wrk, type WrkResult } from './wrk.ts';

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 1000);

await runBench('cache-hit', 120 + ROUNDS * 2 * (DURATION + 5), async () => {
  const infra = await startInfra({ redis: true });
  const node = await startApi(1, {
    SHARD_PRIMARIES: infra.pgUrl,
    REDIS_CACHE_URL: infra.redisUrl!,
    CACHE_TTL_S: '3600',
    CACHE_L1_ENTRIES: process.env.CACHE_L1_ENTRIES ?? '0',
    CACHE_L1_TTL_MS: process.env.CACHE_L1_TTL_MS ?? '1000',
  });
  const { accounts } = await seed(infra.pgUrl, ACCOUNTS);
  for (const id of accounts) await httpGet(`${node.url}/v1/accounts/${id}`); // warm: miss -> Redis
  const probe = await httpGet(`${node.url}/v1/accounts/${accounts[0]}`);
  if (probe.status !== 200) throw new Error(`warm-up read answered ${probe.status}`);
  const rowCount = await psql(infra.pgUrl, 'SELECT count(*) FROM accounts;');

  const targets = {
    static: pathsScript(['/v1/whoami']),
    'cache-hit': pathsScript(accounts.map((id) => `/v1/accounts/${id}`)),
  };
  await wrk(node.url, targets.static, CONCURRENCY, 2); // JIT warm-up
  await wrk(node.url, targets['cache-hit'], CONCURRENCY, 2);

  const runs: Record<keyof typeof targets, WrkResult[]> = { static: [], 'cache-hit': [] };
  const ratios: number[] = [];
  let hitsCounted = 0;
  let hitRequests = 0;
  const l1Before = await metric(node.url, 'api_cache_l1_requests_total', { entity: 'account', result: 'hit' });
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = (round % 2 === 0 ? ['static', 'cache-hit'] : ['cache-hit', 'static']) as (keyof typeof targets)[];
    for (const target of order) {
      const before = await metric(node.url, 'api_cache_requests_total', { entity: 'account', result: 'hit' });
      const r = await wrk(node.url, targets[target], CONCURRENCY, DURATION);
      runs[target].push(r);
      if (target === 'cache-hit') {
        hitsCounted +=
          (await metric(node.url, 'api_cache_requests_total', { entity: 'account', result: 'hit' })) - before;
        hitRequests += r.requests;
      }
    }
    ratios.push(runs['cache-hit'][round]!.rps / runs.static[round]!.rps);
  }

  const row = (name: keyof typeof targets) => {
    const rs = runs[name];
    return [
      name,
      median(rs.map((r) => r.rps)).toFixed(0),
      median(rs.map((r) => r.p50ms)).toFixed(2),
      median(rs.map((r) => r.p99ms)).toFixed(2),
      rs.map((r) => r.rps.toFixed(0)).join(' / '),
      rs.reduce((a, r) => a + r.errors, 0),
    ];
  };
  const l1Hits =
    (await metric(node.url, 'api_cache_l1_requests_total', { entity: 'account', result: 'hit' })) - l1Before;
  const ratio = median(ratios);
  console.log(
    `\ncache-hit GET vs static route, one api node, wrk -t1 -c${CONCURRENCY}, ${ROUNDS} interleaved rounds of ${DURATION} s, medians; ${rowCount} accounts in Postgres, ${ACCOUNTS} warmed in Redis (${process.env.REDIS ?? 'local'}), CACHE_L1_ENTRIES=${process.env.CACHE_L1_ENTRIES ?? '0'}, random id per request\n`,
  );
  console.log(
    table(['target', 'req/s', 'p50 ms', 'p99 ms', 'req/s per round', 'errors'], [row('static'), row('cache-hit')]),
  );
  console.log('');
  console.log(
    table(
      ['ratio', 'value', 'goal'],
      [
        [
          'cache-hit / static (median of per-round ratios)',
          ratio.toFixed(3),
          `>= 0.6: ${ratio >= 0.6 ? 'met' : 'NOT met'}`,
        ],
        ['hits counted by the node / hit requests sent', `${hitsCounted} / ${hitRequests}`, 'all hits'],
        ['of which served by the in-process L1', `${((100 * l1Hits) / Math.max(1, hitsCounted)).toFixed(1)} %`, '-'],
      ],
    ),
  );
});
