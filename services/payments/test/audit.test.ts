import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, charge, getJson } from './support/helpers.js';

const body = { amount: 500, currency: 'EUR' };

describe('payments: the audit oracle', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it('names references charged under two keys (a double charge) and counts replays', async () => {
    await charge(app, { ...body, reference: 'sub:1:p1' }, 'sub:1:p1');
    await charge(app, { ...body, reference: 'sub:1:p1' }, 'sub:1:p1-retry-with-a-new-key');
    await charge(app, { ...body, reference: 'sub:1:p2' }, 'sub:1:p2');
    await charge(app, { ...body, reference: 'sub:1:p2' }, 'sub:1:p2');
    await charge(app, { ...body, reference: 'other' }, 'other');

    expect(await getJson(app, '/v1/audit?prefix=sub:')).toEqual({
      charges: 3,
      references: 2,
      keys: 3,
      duplicateReferences: [{ reference: 'sub:1:p1', charges: 2, keys: ['sub:1:p1', 'sub:1:p1-retry-with-a-new-key'] }],
      duplicateKeys: [],
      replays: 1,
      replayedKeys: 1,
    });
    expect(await getJson(app, '/v1/audit?detail=true')).toMatchObject({
      charges: 4,
      byReference: { 'sub:1:p1': 2, 'sub:1:p2': 1, other: 1 },
    });
  });

  it('rejects unknown audit parameters', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/audit?detail=yes' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });
});
