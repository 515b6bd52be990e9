// Helpers shared by the rate limiter bench scripts (run by hand with Node 24: `node bench/ratelimiter/<script>.ts`
// after `npx tsc -b`). They use the built packages, so the code measured is the code that ships.
import { createLogger } from '../../libs/logging/dist/index.js';
import { createRedisClient } from '../../libs/redis/dist/index.js';
import { startRedis } from '../../libs/testing/dist/index.js';
import { createAlgorithms } from '../../services/ratelimiter/dist/algorithms/index.js';

export const ALGORITHMS = ['token-bucket', 'gcra', 'fixed-window', 'sliding-log', 'sliding-counter'] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

export interface Bench {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly redis: ReturnType<typeof createRedisClient>;
  readonly algorithms: ReturnType<typeof createAlgorithms>;
  close(): Promise<void>;
}

/** A Redis for the run: REDIS_URL if set (e.g. a local redis-server), else a throwaway container. */
export async function startBench(): Promise<Bench> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const started = process.env.REDIS_URL === undefined ? await startRedis() : undefined;
  const url = process.env.REDIS_URL ?? started!.url;
  const parsed = new URL(url);
  const redis = createRedisClient({
    url,
    timeoutMs: 5000,
    logger: createLogger({ name: 'bench', level: 'warn' }),
    name: 'bench',
  });
  for (let i = 0; i < 200 && redis.status !== 'ready'; i += 1) await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    redis,
    algorithms: createAlgorithms(redis),
    async close() {
      redis.disconnect();
      await started?.stop();
    },
  };
}

export const sleepUntil = (t: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
