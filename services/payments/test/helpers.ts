import { loadConfig } from '@sdl/config';
import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import { PaymentsConfigSchema } from '../src/config.js';

export async function buildTestApp(env: Record<string, string> = {}, random?: () => number): Promise<FastifyInstance> {
  return buildApp({
    config: loadConfig(PaymentsConfigSchema, env),
    logger: createLogger({ name: 'payments', level: 'silent' }),
    metrics: createMetrics({ service: 'payments', defaults: false }),
    ...(random === undefined ? {} : { random }),
  });
}

export function charge(
  app: FastifyInstance,
  body: unknown,
  key: string | null = 'key-1',
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/charges',
    headers: key === null ? {} : { 'idempotency-key': key },
    payload: body as object,
  });
}
