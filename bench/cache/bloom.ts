// Issue 14: the Bloom filter against cache penetration. (1) Database queries per MISSING random
// missing account ids read through an api node with BLOOM_FILTER=off and one with it on (built by
// the operator tool, services/api/dist/bin/bloom-rebuild.js, from ACCOUNTS seeded rows at p = 0.01).
// (2) For p = 0.1, 0.01, 0.001: the filter rebuilt for n = ACCOUNTS, its memory (m bits, k), and
// the observed false-positive rate over MISSING random ids against the configured p.
// Build first (`npx tsc -b`). Usage: node bench/cache/bloom.ts   (env ACCOUNTS=10000 MISSING=10000)
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../libs/logging/dist/index.js';
import { Registry } from '../../libs/metrics/dist/index.js';
import { closeRedis, createRedisClient } from '../../libs/redis/dist/index.js';
import { createBloomFilter, createBloomMetrics } from '../../services/api/dist/bloom-filter/bloom-filter.js';
import type { BloomRebuildReport } from '../../services/api/dist/bloom-filter/bloom-rebuild.js';
import { bloomSizing, expectedFalsePositiveRate } from '../../services/api/dist/bloom-filter/bloom-sizing.js';
import { createAccountId } from '../../services/api/dist/domain/ids.js';
import { root } from '../lb/proc.ts';
import {
  closedLoop,
  clusterMetric,
  httpGet,
  runBench,
  seed,
  startApi,
  startInfra,
  table,
  type ApiNode,
} from '../api/stack.ts';

const ACCOUNTS = Number(process.env.ACCOUNTS ?? 10_000);
const MISSING = Number(process.env.MISSING ?? 10_000);
const CONCURRENCY = 16;
const RATES = [0.1, 0.01, 0.001];

await runBench('bloom', 180, async () => {
  const infra = await startInfra({ redis: true });
  const env = {
    SHARD_PRIMARIES: infra.pgUrl,
    REDIS_CACHE_URL: infra.redisUrl!,
    BLOOM_EXPECTED_ITEMS: String(ACCOUNTS),
    BLOOM_FALSE_POSITIVE_RATE: '0.01',
  };
  const off = await startApi(1, { ...env, BLOOM_FILTER: 'off' });
  const on = await startApi(2, { ...env, BLOOM_FILTER: 'on' });
  await seed(infra.pgUrl, ACCOUNTS);
  const rebuild = async (args: string[] = []): Promise<BloomRebuildReport> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'services/api/dist/bin/bloom-rebuild.js'), 'account', ...args],
      { env: { ...process.env, ...env, LOG_LEVEL: 'warn' } },
    );
    return JSON.parse(stdout) as BloomRebuildReport;
  };
  const built = await rebuild();

  // (1) Queries per MISSING random missing ids, each id read once (a negative cache never helps).
  const queries = async (node: ApiNode): Promise<{ queries: number; notFound: number; ms: number }> => {
    const before = await clusterMetric([node], 'api_db_query_duration_seconds_count', { op: 'account_get' });
    let notFound = 0;
    const started = performance.now();
    await closedLoop(MISSING, CONCURRENCY, async () => {
      if ((await httpGet(`${node.url}/v1/accounts/${createAccountId()}`)).status === 404) notFound += 1;
    });
    const ms = performance.now() - started;
    const after = await clusterMetric([node], 'api_db_query_duration_seconds_count', { op: 'account_get' });
    return { queries: after - before, notFound, ms };
  };
  const withoutFilter = await queries(off);
  const withFilter = await queries(on);
  const fp = await clusterMetric([on], 'api_bloom_false_positives_total', { entity: 'account' });
  const absent = await clusterMetric([on], 'api_bloom_checks_total', { entity: 'account', result: 'absent' });
  // A bypass (a Redis command over REDIS_TIMEOUT_MS on a busy machine) fails open: one query each.
  const bypass = await clusterMetric([on], 'api_bloom_checks_total', { entity: 'account', result: 'bypass' });
  console.log(
    `\n(1) GET /v1/accounts/:id of ${MISSING} random missing ids, ${ACCOUNTS} accounts, ${CONCURRENCY} in flight, one api node each\n`,
  );
  console.log(
    table(
      [
        'BLOOM_FILTER',
        'database queries',
        'per 10,000',
        '404s',
        'filter said absent',
        'false positives',
        'bypass (fail open)',
        'reads/s',
      ],
      [
        [
          'off',
          withoutFilter.queries,
          ((withoutFilter.queries / MISSING) * 10_000).toFixed(0),
          withoutFilter.notFound,
          '-',
          '-',
          '-',
          ((MISSING / withoutFilter.ms) * 1000).toFixed(0),
        ],
        [
          'on (n = ACCOUNTS, p = 0.01)',
          withFilter.queries,
          ((withFilter.queries / MISSING) * 10_000).toFixed(0),
          withFilter.notFound,
          absent,
          fp,
          bypass,
          ((MISSING / withFilter.ms) * 1000).toFixed(0),
        ],
      ],
    ),
  );
  console.log(`rebuild: ${built.items} ids, ${built.bits} bits, k = ${built.hashes}, ${built.ms} ms`);

  // (2) Observed vs configured p, checked on the filter directly (the same scripts the node runs).
  const logger = createLogger({ name: 'bench-bloom', level: 'warn' });
  const redis = createRedisClient({
    url: infra.redisUrl!,
    timeoutMs: 5000,
    logger,
    name: 'bench-bloom',
    lazyConnect: true,
  });
  await redis.connect();
  const filter = createBloomFilter({
    entity: 'account',
    redis,
    enabled: true,
    logger,
    metrics: createBloomMetrics(new Registry()),
  });
  const rows: (string | number)[][] = [];
  try {
    for (const p of RATES) {
      const report = await rebuild(['--false-positive-rate', String(p)]);
      const sizing = bloomSizing(ACCOUNTS, p);
      let maybe = 0;
      for (let i = 0; i < MISSING; i += 500) {
        const answers = await Promise.all(
          Array.from({ length: Math.min(500, MISSING - i) }, () => filter.check(createAccountId())),
        );
        maybe += answers.filter((a) => a === 'maybe').length;
      }
      rows.push([
        p,
        report.bits,
        `${(report.bytes / 1024).toFixed(1)} KiB`,
        (report.bits / ACCOUNTS).toFixed(2),
        report.hashes,
        expectedFalsePositiveRate(sizing, report.items).toFixed(4),
        (maybe / MISSING).toFixed(4),
        `${maybe} / ${MISSING}`,
        report.ms,
      ]);
    }
  } finally {
    await closeRedis(redis);
  }
  console.log(
    `\n(2) observed vs configured false-positive rate, n = ${ACCOUNTS} ids in the filter, ${MISSING} random missing ids\n`,
  );
  console.log(
    table(
      [
        'configured p',
        'm bits',
        'memory',
        'bits per id',
        'k',
        'expected (formula)',
        'observed',
        'false positives',
        'rebuild ms',
      ],
      rows,
    ),
  );
  await Promise.all([off.stop(), on.stop()]);
});
