import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, charge, getJson } from './support/helpers.js';

const body = { amount: 1500, currency: 'EUR', reference: 'sub:7:2026-02-01T00:00:00.000Z' };

describe('payments: fault flags at run time (admin listener)', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('shows, changes and resets the flags on the admin app; the API app has no admin route', async () => {
    app = await buildTestApp({ FAIL_RATE: '0.25' });
    const admin = app.payments.admin;
    expect(await getJson(admin, '/admin/faults')).toEqual({
      failRate: 0.25,
      acceptTimeoutRate: 0,
      acceptTimeoutMs: 10_000,
      slowRate: 1,
      slowMs: 0,
    });
    const put = await admin.inject({
      method: 'PUT',
      url: '/admin/faults',
      payload: { acceptTimeoutRate: 1, slowMs: 20 },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ failRate: 0.25, acceptTimeoutRate: 1, slowMs: 20 });
    expect((await admin.inject({ method: 'DELETE', url: '/admin/faults' })).json()).toMatchObject({
      acceptTimeoutRate: 0,
      slowMs: 0,
    });
    const onApi = await app.inject({ method: 'PUT', url: '/admin/faults', payload: { failRate: 1 } });
    expect(onApi.statusCode).toBe(404);
  });

  it.each([
    ['a rate above 1', { failRate: 1.5 }],
    ['a negative delay', { slowMs: -1 }],
    ['an unknown flag', { dropRate: 0.5 }],
    ['nothing', {}],
  ])('rejects %s with 400 ERR_VALIDATION', async (_name, patch) => {
    app = await buildTestApp();
    const res = await app.payments.admin.inject({ method: 'PUT', url: '/admin/faults', payload: patch });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('accept-then-timeout charges, answers 504 PAY_ERR_TIMEOUT, and a retry with the key replays the charge', async () => {
    app = await buildTestApp();
    await app.payments.admin.inject({
      method: 'PUT',
      url: '/admin/faults',
      payload: { acceptTimeoutRate: 1, acceptTimeoutMs: 10 },
    });
    const ambiguous = await charge(app, body, body.reference);
    expect(ambiguous.statusCode).toBe(504);
    expect(ambiguous.json()).toMatchObject({ code: 'PAY_ERR_TIMEOUT', retriable: true });

    const retry = await charge(app, body, body.reference);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await getJson(app, `/v1/audit?prefix=sub:`)).toMatchObject({
      charges: 1,
      duplicateReferences: [],
      replays: 1,
      replayedKeys: 1,
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/payments_faults_injected_total\{fault="accept_timeout"[^}]*\} 1\n/);
  });

  it('slows the configured share of attempts (counted), charging each once', async () => {
    const rolls = [0.1, 0.9];
    app = await buildTestApp({ SLOW_MS: '5', SLOW_RATE: '0.5' }, () => rolls.shift() ?? 0.9);
    expect((await charge(app, body, 'one')).statusCode).toBe(201);
    expect((await charge(app, { ...body, reference: 'r2' }, 'two')).statusCode).toBe(201);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/payments_faults_injected_total\{fault="slow"[^}]*\} 1\n/);
  });

  it('listens the admin app on its own port', async () => {
    app = await buildTestApp();
    const address = await app.payments.listenAdmin();
    const res = await fetch(`http://127.0.0.1:${address.port}/admin/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failRate: 1 }),
    });
    expect(res.status).toBe(200);
    expect((await charge(app, body, 'x')).statusCode).toBe(503);
  });
});
