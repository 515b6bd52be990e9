import { fileURLToPath } from 'node:url';
import { closedPort } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../rules.example.json', import.meta.url));
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

// No Redis: the rules route reads no counter.
async function app(env: Record<string, string>): Promise<FastifyInstance> {
  const built = await buildTestApp({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, ...env });
  apps.push(built.app);
  return built.app;
}
const rulesOf = async (a: FastifyInstance) => (await a.inject({ method: 'GET', url: '/admin/rules' })).json();

describe('GET /admin/rules', () => {
  it('lists the rules file in evaluation order with algorithm, limit, window, mode and fail mode', async () => {
    const limiter = await app({ RULES_FILE: EXAMPLE });
    const answer = await rulesOf(limiter);
    expect(answer).toMatchObject({ source: 'file', failMode: 'open' });
    expect(answer.rules.map((r: { name: string }) => r.name)).toEqual([
      'limited',
      'payments-writes-per-ip',
      'in-flight',
      'tighter-default-trial',
      'default',
    ]);
    expect(answer.rules[1]).toEqual({
      name: 'payments-writes-per-ip',
      algorithm: 'gcra',
      limit: 20,
      windowMs: 1000,
      burst: 40,
      cost: 1,
      shadow: false,
      failMode: 'closed',
      failModeFrom: 'rule',
      key: ['address'],
      match: { route: 'POST /v1/payments*', address: '*' },
    });
    expect(answer.rules[3]).toMatchObject({ algorithm: 'sliding-log', shadow: true, match: {} });
    expect(answer.rules[3].burst).toBeUndefined();

    // The run-time fail mode shows on the rules that have none of their own.
    await limiter.inject({ method: 'PUT', url: '/admin/fail-mode', payload: { failMode: 'closed' } });
    const switched = await rulesOf(limiter);
    expect(switched.failMode).toBe('closed');
    expect(switched.rules[0]).toMatchObject({ failMode: 'closed', failModeFrom: 'default' });
  });

  it('lists the LIMITS rules when there is no rules file', async () => {
    const limiter = await app({
      LIMITS: JSON.stringify({
        default: { limit: 100, windowMs: 1000 },
        clients: { limited: { limit: 5, windowMs: 60000 } },
      }),
      LIMITS_ALGORITHM: 'token-bucket',
    });
    expect(await rulesOf(limiter)).toEqual({
      source: 'limits',
      failMode: 'open',
      rules: [
        {
          name: 'client-0',
          algorithm: 'token-bucket',
          limit: 5,
          windowMs: 60000,
          burst: 5,
          cost: 1,
          shadow: false,
          failMode: 'open',
          failModeFrom: 'default',
          key: ['client'],
          match: { client: 'limited' },
        },
        {
          name: 'default',
          algorithm: 'token-bucket',
          limit: 100,
          windowMs: 1000,
          burst: 100,
          cost: 1,
          shadow: false,
          failMode: 'open',
          failModeFrom: 'default',
          key: ['client'],
          match: {},
        },
      ],
    });
  });
});
