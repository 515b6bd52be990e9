import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandCorpus, readCorpus } from '@sdl/testing';
import { createAccountId } from '../../src/domain/ids.js';
import { buildTestApp, idOnShard, UNREACHABLE_PG } from '../support/helpers.js';

const VARS = { ACCOUNT: createAccountId() };

// Both shards refuse connections: validation must answer before any database work, and valid
// requests must fail fast with the retriable shard code, never a 500.
describe('api routes without reachable shards', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ app } = await buildTestApp({
      SHARD_PRIMARIES: `${UNREACHABLE_PG},${UNREACHABLE_PG}`,
      PG_CONNECT_TIMEOUT_MS: '500',
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/v1/accounts', payload, headers: { 'content-type': contentType } });

  it.each([
    ['an unknown field', { email: 'a@b.c', name: 'Ann', admin: true }],
    ['a wrong type', { email: 'a@b.c', name: 42 }],
    ['a missing field', { email: 'a@b.c' }],
    ['an email without @', { email: 'abc.example', name: 'Ann' }],
    ['an email too long', { email: `${'a'.repeat(250)}@b.cd`, name: 'Ann' }],
    ['an empty name', { email: 'a@b.c', name: '' }],
    ['a blank name', { email: 'a@b.c', name: '   ' }],
    ['a name too long', { email: 'a@b.c', name: 'n'.repeat(101) }],
    ['an array body', [{ email: 'a@b.c', name: 'Ann' }]],
    ['a NUL byte in the name', { email: 'a@b.c', name: 'A\u0000B' }],
    ['a control character in the email', { email: 'a\u0007@b.c', name: 'Ann' }],
  ])('rejects %s with 400 ERR_VALIDATION', async (_what, body) => {
    const res = await post(JSON.stringify(body));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION', status: 400, retriable: false });
  });

  it('rejects malformed JSON with 400 ERR_MALFORMED_JSON', async () => {
    const res = await post('{"email": "a@b.c", "name": ');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_MALFORMED_JSON' });
  });

  it('rejects a text body as invalid and an unknown content type with 415', async () => {
    const text = await post('email=a@b.c', 'text/plain');
    expect(text.statusCode).toBe(400);
    expect(text.json()).toMatchObject({ code: 'ERR_VALIDATION' });
    const xml = await post('<account/>', 'application/xml');
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
  });

  it.each(['nope', 'acc_123', `acc_${'u'.repeat(26)}`, `acc_${'0'.repeat(26)}x`, '%20'])(
    'rejects the id %j with 400 API_ERR_INVALID_ID',
    async (id) => {
      const res = await app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'API_ERR_INVALID_ID', retriable: false });
    },
  );

  it('answers a valid id on an unreachable shard with a retriable 503', async () => {
    // A refused connection answers at once (how fast: bench/degraded/fail-fast.ts).
    const res = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${idOnShard(1)}`,
      headers: { 'x-request-id': 'req-1' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(res.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE', retriable: true, requestId: 'req-1' });
  });

  it('answers a create on an unreachable shard with 503, not 500', async () => {
    const res = await post(JSON.stringify({ email: 'a@b.c', name: 'Ann' }));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE', retriable: true });
  });

  it('is not ready while a shard is down, and says which', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json<{ checks: Record<string, string> }>();
    expect(Object.keys(body.checks).sort()).toEqual(['shard-0', 'shard-1']);
    expect(body.checks['shard-0']).not.toBe('ok');
  });

  it('answers whoami without touching a dependency', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/whoami' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ node: 'api-test' });
  });

  it('answers unknown routes with 404 ERR_NOT_FOUND', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  // The gateway refuses these first (libs/testing/corpus/json.jsonl); the api must not depend on
  // it: each is a 4xx with a stable code before any database work, but for the few JSON.parse takes.
  it.each(readCorpus('json.jsonl'))('$name', async (entry) => {
    const body =
      typeof entry.bodyHex === 'string'
        ? Buffer.from(entry.bodyHex, 'hex')
        : Buffer.from(expandCorpus(entry.body as string, VARS), 'utf8');
    const contentType = (entry.contentType as string | undefined) ?? 'application/json';
    const res = await app.inject({
      method: ((entry.method as string | undefined) ?? 'POST') as 'POST',
      url: expandCorpus((entry.path as string | undefined) ?? '/v1/accounts', VARS),
      headers: contentType === '' ? {} : { 'content-type': contentType },
      payload: body,
    });
    if (entry.apiAccepts === true) {
      // Taken as a valid request (only the gateway refuses it): it went on to the shard.
      expect(res.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE' });
      return;
    }
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json<{ code: string }>().code).toMatch(/^(API_)?ERR_[A-Z_]+$/);
  });

  it('exposes its metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    for (const name of ['api_db_query_duration_seconds', 'api_shard_replica_configured']) {
      expect(res.body).toContain(name);
    }
  });
});

describe('configuration checks at build', () => {
  it('refuses a replica list that does not match the primaries', async () => {
    await expect(
      buildTestApp({ SHARD_PRIMARIES: UNREACHABLE_PG, SHARD_REPLICAS: `${UNREACHABLE_PG},${UNREACHABLE_PG}` }),
    ).rejects.toMatchObject({ issues: [{ key: 'SHARD_REPLICAS' }] });
  });
});
