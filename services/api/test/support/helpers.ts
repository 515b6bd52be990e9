import { loadConfig } from '@sdl/config';
import { createLogger, type Logger } from '@sdl/logging';
import { createMetrics, type Metrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { buildApp, type ApiDeps } from '../../src/app.js';
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

export interface TestApp {
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
}

export async function buildTestApp(env: Record<string, string>, extra: Partial<ApiDeps> = {}): Promise<TestApp> {
  const metrics = createMetrics({ service: 'api', node: 'api-test', defaults: false });
  const app = await buildApp({ config: testConfig(env), logger: testLogger(), metrics, ...extra });
  return { app, metrics };
}

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
