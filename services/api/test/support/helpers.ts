import { loadConfig } from '@sdl/config';
import { createLogger, type Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createTestAppBuilder, type TestApp as TestAppOf } from '@sdl/testing';
import { buildApp } from '../../src/app.js';
import { createAccountId } from '../../src/domain/ids.js';
import { ApiConfigSchema, checkApiConfig, type ApiConfig } from '../../src/config.js';
import { createShardRouter } from '../../src/sharding/shard-router.js';

/** Nothing listens on port 1: connecting is refused at once, like a stopped shard. */
export const UNREACHABLE_PG = 'postgres://lab:lab@127.0.0.1:1/lab';

export function testConfig(env: Record<string, string>): ApiConfig {
  return loadConfig(ApiConfigSchema, { NODE_ID: 'api-test', ...env }, checkApiConfig);
}

export function testLogger(): Logger {
  return createLogger({ name: 'api-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** A built api node under test (see createTestAppBuilder). */
export type TestApp = TestAppOf<ApiConfig>;

/** An api node as main.ts builds it (config through the schema and its checks), silent, not listening. */
export const buildTestApp = createTestAppBuilder({
  name: 'api',
  schema: ApiConfigSchema,
  check: checkApiConfig,
  build: buildApp,
  env: { NODE_ID: 'api-test' },
  logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
});

/** A fresh account id that the default map routes to `shard` (of `shardCount`). */
export function idOnShard(shard: number, shardCount = 2): string {
  const router = createShardRouter(shardCount);
  for (;;) {
    const id = createAccountId();
    if (router.route(id).shard === shard) return id;
  }
}

/** The value of one series in the registry (0 when absent). */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return match?.value ?? 0;
}

/** How many queries of `op` ran on `shard` (the count of the duration histogram). */
export async function dbReads(metrics: Metrics, shard: string, op: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric('api_db_query_duration_seconds');
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const match = values.find(
    (v) =>
      (v as { metricName?: string }).metricName === 'api_db_query_duration_seconds_count' &&
      v.labels.shard === shard &&
      v.labels.op === op,
  );
  return match?.value ?? 0;
}
