import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestAppBuilder } from '@sdl/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { PaymentsConfigSchema } from '../../src/config.js';

const build = createTestAppBuilder({
  name: 'payments',
  schema: PaymentsConfigSchema,
  build: buildApp,
  env: { ADMIN_PORT: '0' },
});

/** The provider as main.ts builds it (silent, not listening); `random` replaces the fault dice. */
export async function buildTestApp(env: Record<string, string> = {}, random?: () => number): Promise<FastifyInstance> {
  return (await build(env, random === undefined ? {} : { random })).app;
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

/** A fresh directory for ledger files; `remove()` deletes it with everything in it. */
export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'sdl-payments-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** GET on the app, parsed. */
export async function getJson(app: FastifyInstance, url: string): Promise<Record<string, unknown>> {
  return (await app.inject({ method: 'GET', url })).json<Record<string, unknown>>();
}
