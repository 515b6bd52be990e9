// Benchmark 2 (issue 4): a cache-miss read through the api vs `pgbench -S` on the same Postgres at
// the same client count. The api node runs with ACCOUNTS_CACHE_MODE=off (and no Redis), so every
// GET /v1/accounts/:id is one primary-key SELECT on the shard; wrk keeps CLIENTS connections and
// the node's pool has CLIENTS connections (PG_POOL_MAX). pgbench (Debian postgresql-client 15)
// runs `-S` (one primary-key SELECT per transaction) with `-c CLIENTS -j 1 -M extended` (the
// extended protocol, as node-pg's parameterised queries) on pgbench_accounts (scale 1, 100 000 rows).
// Build first (`npx tsc -b`). Usage: node bench/api/cache-miss.ts
//   (env CLIENTS=10 DURATION=10 ROUNDS=3 ACCOUNTS=10000)
import { clusterMetric, median, psql, runBench, seed, startApi, startInfra, table } from './stack.ts';
import { pgbench, type PgbenchResult } from './pgbench.ts';
import { pathsScript, wrk } from './wrk.ts';

const CLIENTS = Number(process.env.CLIENTS ?? 10);
const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 10_000);

await runBench('cache-miss', 180 + ROUNDS * 2 * (DURATION + 5), async () => {
  const infra = await startInfra({ redis: false });
  const node = await startApi(1, {
    SHARD_PRIMARIES: infra.pgUrl,
    ACCOUNTS_CACHE_MODE: 'off',
    PG_POOL_MAX: String(CLIENTS),
  });
  const { accounts } = await seed(infra.pgUrl, ACCOUNTS);
  await pgbench(infra.pgUrl, ['-i', '-s', '1', '-q']);
  await psql(infra.pgUrl, 'VACUUM ANALYZE accounts;');
  const script = pathsScript(accounts.map((id) => `/v1/accounts/${id}`));
  const bench = ['-S', '-n', '-M', 'extended', '-c', String(CLIENTS), '-j', '1'];

  // Warm-up: both paths pull their tables into shared buffers, the node's JIT settles.
  await wrk(node.url, script, CLIENTS, 3);
  await pgbench(infra.pgUrl, [...bench, '-T', '3']);

  const api: { rps: number; p50: number; p99: number; errors: number }[] = [];
  const pg: PgbenchResult[] = [];
  const ratios: number[] = [];
  let dbReads = 0;
  let requests = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const runApi = async () => {
      const before = await clusterMetric([node], 'api_db_query_duration_seconds_count', { op: 'account_get' });
      const r = await wrk(node.url, script, CLIENTS, DURATION);
      dbReads += (await clusterMetric([node], 'api_db_query_duration_seconds_count', { op: 'account_get' })) - before;
      requests += r.requests;
      api.push({ rps: r.rps, p50: r.p50ms, p99: r.p99ms, errors: r.errors });
    };
    const runPg = async () => void pg.push(await pgbench(infra.pgUrl, [...bench, '-T', String(DURATION)]));
    if (round % 2 === 0) {
      await runApi();
      await runPg();
    } else {
      await runPg();
      await runApi();
    }
    ratios.push(api[round]!.rps / pg[round]!.tps);
  }

  const ratio = median(ratios);
  console.log(
    `\ncache-miss read (GET /v1/accounts/:id, ACCOUNTS_CACHE_MODE=off, ${ACCOUNTS} accounts, random id) vs pgbench -S -M extended, ${CLIENTS} clients each, same Postgres (PG=${process.env.PG ?? 'container'}), ${ROUNDS} interleaved rounds of ${DURATION} s, medians\n`,
  );
  console.log(
    table(
      ['target', 'reads/s', 'p50 ms', 'p99 ms', 'mean latency ms', 'reads/s per round', 'errors'],
      [
        [
          `api (wrk -t1 -c${CLIENTS}, PG_POOL_MAX=${CLIENTS})`,
          median(api.map((r) => r.rps)).toFixed(0),
          median(api.map((r) => r.p50)).toFixed(2),
          median(api.map((r) => r.p99)).toFixed(2),
          '-',
          api.map((r) => r.rps.toFixed(0)).join(' / '),
          api.reduce((a, r) => a + r.errors, 0),
        ],
        [
          `pgbench -S -c${CLIENTS} -j1`,
          median(pg.map((r) => r.tps)).toFixed(0),
          '-',
          '-',
          median(pg.map((r) => r.latencyMs)).toFixed(3),
          pg.map((r) => r.tps.toFixed(0)).join(' / '),
          pg.reduce((a, r) => a + r.failed, 0),
        ],
      ],
    ),
  );
  console.log('');
  console.log(
    table(
      ['ratio', 'value'],
      [
        ['api / pgbench -S (median of per-round ratios)', ratio.toFixed(2)],
        ['database reads counted by the node / requests sent', `${dbReads} / ${requests}`],
      ],
    ),
  );
});
