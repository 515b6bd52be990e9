import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '@sdl/metrics';
import { createBillingMetrics } from '../../src/billing/billing-metrics.js';
import { createProviderClient } from '../../src/billing/provider-client.js';
import type { ChargeRow } from '../../src/billing/charge-rows.js';
import { FakeElection, fakeCoordinator, recordingWork } from '../support/fakes.js';
import { buildTestApp } from '../support/helpers.js';

describe('PUT /admin/billing: the run-time switches', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('starts from the environment, changes some settings, and resets to the environment', async () => {
    ({ app } = await buildTestApp(
      { BILLING_PERIOD_SECONDS: '10' },
      { coordinator: fakeCoordinator(new FakeElection()), work: recordingWork() },
    ));
    const get = await app.inject({ method: 'GET', url: '/admin/billing' });
    expect(get.json()).toEqual({ periodSeconds: 10, fencing: 'on', pendingRetryAfterMs: 3000, writeStallMs: 0 });
    const put = await app.inject({
      method: 'PUT',
      url: '/admin/billing',
      payload: { fencing: 'off', periodSeconds: 2 },
    });
    expect(put.json()).toEqual({ periodSeconds: 2, fencing: 'off', pendingRetryAfterMs: 3000, writeStallMs: 0 });
    expect((await app.inject({ method: 'DELETE', url: '/admin/billing' })).json()).toMatchObject({ fencing: 'on' });
  });

  it.each([
    ['an unknown fencing mode', { fencing: 'maybe' }],
    ['a negative period', { periodSeconds: -1 }],
    ['an unknown setting', { batch: 5 }],
    ['nothing', {}],
  ])('rejects %s with 400 ERR_VALIDATION', async (_name, payload) => {
    ({ app } = await buildTestApp({}, { coordinator: fakeCoordinator(new FakeElection()) }));
    const res = await app.inject({ method: 'PUT', url: '/admin/billing', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });
});

describe('provider client', () => {
  const charge: ChargeRow = {
    id: 'chg_1',
    subscriptionId: 'sub_1',
    accountId: 'acc_1',
    partition: 1,
    periodStart: '2026-01-01T00:00:00.000000Z',
    periodEnd: '2026-02-01T00:00:00.000000Z',
    amountCents: 500,
    currency: 'EUR',
    idempotencyKey: 'sub:sub_1:2026-01-01T00:00:00.000000Z',
    delaySeconds: 0,
  };

  it('answers an unreachable provider as retriable BILL_ERR_PROVIDER_UNREACHABLE', async () => {
    const metrics = createBillingMetrics(createMetrics({ service: 't', defaults: false }).registry);
    const client = createProviderClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000, metrics });
    const answer = await client.charge(charge, new AbortController().signal);
    expect(answer).toEqual({ kind: 'retriable', code: 'BILL_ERR_PROVIDER_UNREACHABLE' });
  });

  it('rejects at once when the signal has already aborted (the replica was demoted)', async () => {
    const metrics = createBillingMetrics(createMetrics({ service: 't', defaults: false }).registry);
    const client = createProviderClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000, metrics });
    await expect(client.charge(charge, AbortSignal.abort())).rejects.toBeDefined();
  });
});
