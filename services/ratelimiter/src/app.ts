import type { Logger } from '@sdl/logging';
import type { Metrics } from '@sdl/metrics';
import { createApp, loadSheddingOf } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import type { Redis } from '@sdl/redis';
import { createConcurrencyLimiter } from './algorithms/concurrency.js';
import { createAlgorithms } from './algorithms/index.js';
import type { RateLimiterConfig } from './config.js';
import { createLimiter } from './limiter.js';
import { createRateLimiterMetrics } from './metrics.js';
import { redisPlugin } from './algorithms/redis-plugin.js';
import { adminRoute, createFailModeSwitch } from './routes/admin-route.js';
import { checkRoute } from './routes/check-route.js';
import { rulesRoute } from './routes/rules-route.js';
import { rulesFromLimits } from './rules/rule-set.js';
import { createRulesSource } from './rules/rules-source.js';

export { RateLimiterConfigSchema, type RateLimiterConfig } from './config.js';

export interface RateLimiterDeps {
  readonly config: RateLimiterConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** An existing Redis client; by default the app makes one from `redisUrl` and closes it on close. */
  readonly redis?: Redis;
}

/** The ratelimiter: `POST /v1/check` over rules and Redis-backed algorithms, with fail modes applied. */
export async function buildApp(deps: RateLimiterDeps): Promise<FastifyInstance> {
  const { config, logger, metrics } = deps;
  const app = createApp({ logger, metrics, bodyLimit: 16 * 1024, loadShedding: loadSheddingOf(config) });

  await app.register(redisPlugin, {
    url: config.redisUrl,
    timeoutMs: config.redisTimeoutMs,
    logger,
    client: deps.redis,
  });

  const rlMetrics = createRateLimiterMetrics(metrics);
  let rules = () => rulesFromLimits(config.limits, config.limitsAlgorithm);
  if (config.rulesFile === '') {
    const fixed = rules();
    rules = () => fixed;
  } else {
    // A bad rules file at start throws (RulesError lists every problem): better not ready than wrong.
    const source = await createRulesSource({
      file: config.rulesFile,
      pollMs: config.rulesPollMs,
      logger,
      onReload: (result) => rlMetrics.rulesReloads.inc({ result }),
    });
    app.addHook('onClose', async () => source.close());
    rules = () => source.current();
  }

  const failMode = createFailModeSwitch(config.failMode);
  const limiter = createLimiter({
    algorithms: createAlgorithms(app.redis),
    concurrency: createConcurrencyLimiter(app.redis),
    rules,
    failMode: () => failMode.current(),
    metrics: rlMetrics,
    logger,
  });
  await app.register(checkRoute, { limiter });
  await app.register(adminRoute, { failMode });
  await app.register(rulesRoute, { rules, failMode, source: config.rulesFile === '' ? 'limits' : 'file' });
  return app;
}
