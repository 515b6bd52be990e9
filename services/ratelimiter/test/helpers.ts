import { createServer } from 'node:net';
import { loadConfig } from '@sdl/config';
import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { RateLimiterConfigSchema } from '../src/config.js';

/** A ratelimiter app configured from an environment, as main.ts would, but silent and not listening. */
export async function buildTestApp(env: Record<string, string>): Promise<FastifyInstance> {
  // A generous Redis bound unless the test sets its own: on a loaded machine a 100 ms call can time
  // out, and the fail mode's answer would then be mistaken for the algorithm's.
  const config = loadConfig(RateLimiterConfigSchema, { REDIS_TIMEOUT_MS: '2000', ...env });
  return buildApp({
    config,
    logger: createLogger({ name: 'ratelimiter', level: 'silent' }),
    metrics: createMetrics({ service: 'ratelimiter', defaults: false }),
  });
}

/** A localhost port that nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function check(app: FastifyInstance, body: unknown) {
  const res = await app.inject({ method: 'POST', url: '/v1/check', payload: body as object });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}
