import { createTestAppBuilder } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { RateLimiterConfigSchema } from '../../src/config.js';

/** A ratelimiter app configured from an environment, as main.ts would, but silent and not listening. */
export const buildTestApp = createTestAppBuilder({
  name: 'ratelimiter',
  schema: RateLimiterConfigSchema,
  build: buildApp,
  // A generous Redis bound unless the test sets its own: on a loaded machine a 100 ms call can time
  // out, and the fail mode's answer would then be mistaken for the algorithm's.
  env: { REDIS_TIMEOUT_MS: '2000' },
});

export async function check(app: FastifyInstance, body: unknown) {
  const res = await app.inject({ method: 'POST', url: '/v1/check', payload: body as object });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}
