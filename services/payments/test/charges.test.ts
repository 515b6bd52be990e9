import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, charge } from './support/helpers.js';

const body = { amount: 1999, currency: 'EUR', reference: 'sub:42:2026-11', metadata: { plan: 'pro' } };

describe('payments: charges and idempotency keys', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it('creates a charge with 201 and finds it by id and by reference', async () => {
    const res = await charge(app, body, 'sub:42:2026-11');
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const created = res.json();
    expect(created).toMatchObject({ ...body, status: 'succeeded', idempotencyKey: 'sub:42:2026-11' });
    expect(created.id).toMatch(/^ch_[0-9a-f]{32}$/);
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);

    const byId = await app.inject({ method: 'GET', url: `/v1/charges/${created.id}` });
    expect(byId.statusCode).toBe(200);
    expect(byId.json()).toEqual(created);
    const byReference = await app.inject({ method: 'GET', url: '/v1/charges?reference=sub%3A42%3A2026-11' });
    expect(byReference.json()).toEqual({ data: [created], hasMore: false });
    const none = await app.inject({ method: 'GET', url: '/v1/charges?reference=nothing' });
    expect(none.json()).toEqual({ data: [], hasMore: false });
  });

  it('replays the original charge with 200 for the same key and body, in any key order', async () => {
    const first = (await charge(app, body)).json();
    const reordered = { metadata: { plan: 'pro' }, reference: body.reference, currency: 'EUR', amount: 1999 };
    const again = await charge(app, reordered);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first);
    expect((await app.inject({ method: 'GET', url: '/v1/stats' })).json()).toEqual({ charges: 1, replays: 1 });
  });

  it('rejects the same key with a different body: 422 PAY_ERR_IDEMPOTENCY_MISMATCH', async () => {
    await charge(app, body);
    const res = await charge(app, { ...body, amount: 2000 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'PAY_ERR_IDEMPOTENCY_MISMATCH' });
    expect((await app.inject({ method: 'GET', url: '/v1/stats' })).json()).toEqual({ charges: 1, replays: 0 });
  });

  it('makes separate charges for separate keys', async () => {
    await charge(app, body, 'a');
    await charge(app, body, 'b');
    const list = await app.inject({
      method: 'GET',
      url: `/v1/charges?reference=${encodeURIComponent(body.reference)}`,
    });
    expect(list.json().data).toHaveLength(2);
    const limited = await app.inject({ method: 'GET', url: '/v1/charges?limit=1' });
    expect(limited.json()).toMatchObject({ hasMore: true });
    expect(limited.json().data).toHaveLength(1);
  });

  it('answers 404 PAY_ERR_CHARGE_NOT_FOUND for an unknown id', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/charges/ch_nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'PAY_ERR_CHARGE_NOT_FOUND' });
  });

  it('requires an Idempotency-Key of 1..255 characters, checked before the body', async () => {
    const missing = await charge(app, { nonsense: true }, null);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'PAY_ERR_IDEMPOTENCY_KEY_REQUIRED' });
    const empty = await charge(app, body, '');
    expect(empty.json()).toMatchObject({ code: 'PAY_ERR_IDEMPOTENCY_KEY_REQUIRED' });
    const long = await charge(app, body, 'k'.repeat(256));
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: 'PAY_ERR_IDEMPOTENCY_KEY_INVALID' });
    expect((await charge(app, body, 'k'.repeat(255))).statusCode).toBe(201);
  });

  it.each([
    ['amount zero', { ...body, amount: 0 }],
    ['amount too large', { ...body, amount: 100_000_001 }],
    ['amount fractional', { ...body, amount: 10.5 }],
    ['amount as a string', { ...body, amount: '1999' }],
    ['lowercase currency', { ...body, currency: 'eur' }],
    ['four-letter currency', { ...body, currency: 'EURO' }],
    ['empty reference', { ...body, reference: '' }],
    ['reference too long', { ...body, reference: 'r'.repeat(201) }],
    ['non-string metadata value', { ...body, metadata: { plan: 1 } }],
    ['unknown field', { ...body, customer: 'cus_1' }],
    ['missing amount', { currency: 'EUR', reference: 'r' }],
  ])('rejects %s with 400 ERR_VALIDATION', async (_name, bad) => {
    const res = await charge(app, bad);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('rejects unknown list parameters', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/charges?customer=x' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });
});

describe('payments: concurrency and faults', () => {
  it('makes exactly one charge for 50 concurrent requests with the same key', async () => {
    // Latency keeps the first attempt in flight while the other 49 arrive.
    const app = await buildTestApp({ SLOW_MS: '50' });
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => charge(app, body, 'same-key')));
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
      expect((await app.inject({ method: 'GET', url: '/v1/stats' })).json()).toEqual({ charges: 1, replays: 49 });
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/payments_charges_total\{[^}]*\} 1\n/);
      expect(metrics).toMatch(/payments_idempotent_replays_total\{[^}]*\} 49\n/);
      expect(metrics).toMatch(/payments_idempotency_conflicts_total\{reason="in_flight"[^}]*\} 49\n/);
    } finally {
      await app.close();
    }
  });

  it('answers 422 at once to a different body while the key is in flight', async () => {
    const app = await buildTestApp({ SLOW_MS: '50' });
    try {
      const [first, other] = await Promise.all([charge(app, body, 'k'), charge(app, { ...body, amount: 1 }, 'k')]);
      expect(first.statusCode).toBe(201);
      expect(other.statusCode).toBe(422);
    } finally {
      await app.close();
    }
  });

  it('injects retriable failures that charge nothing, so a retry with the key charges once', async () => {
    const rolls = [0.1, 0.9];
    const app = await buildTestApp({ FAIL_RATE: '0.5' }, () => rolls.shift() ?? 0.9);
    try {
      const failed = await charge(app, body, 'flaky');
      expect(failed.statusCode).toBe(503);
      expect(failed.json()).toMatchObject({ code: 'PAY_ERR_PROVIDER_UNAVAILABLE', retriable: true });
      expect((await charge(app, body, 'flaky')).statusCode).toBe(201);
      expect((await charge(app, body, 'flaky')).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/v1/stats' })).json()).toEqual({ charges: 1, replays: 1 });
    } finally {
      await app.close();
    }
  });
});
