import { describe, expect, it } from 'vitest';
import { call, LIMITED_KEY } from './support/http.js';

describe('bad input gets a 4xx with a stable code, never a 500', () => {
  const cases: { name: string; status: number; code: string; run: () => ReturnType<typeof call> }[] = [
    {
      name: 'missing API key',
      status: 401,
      code: 'GW_ERR_UNAUTHORIZED',
      run: () => call('GET', '/v1/accounts/x', { key: null }),
    },
    {
      name: 'wrong API key',
      status: 401,
      code: 'GW_ERR_UNAUTHORIZED',
      run: () => call('GET', '/v1/accounts/x', { key: 'nope' }),
    },
    {
      name: 'malformed JSON',
      status: 400,
      code: 'ERR_MALFORMED_JSON',
      run: () => call('POST', '/v1/accounts', { rawBody: '{"email": "a@b.c", "name": ' }),
    },
    {
      name: 'unknown field',
      status: 400,
      code: 'ERR_VALIDATION',
      run: () => call('POST', '/v1/accounts', { body: { email: 'a@b.c', name: 'A', admin: true } }),
    },
    {
      name: 'wrong type',
      status: 400,
      code: 'ERR_VALIDATION',
      run: () => call('POST', '/v1/accounts', { body: { email: 'a@b.c', name: 42 } }),
    },
    {
      name: 'control character (NUL) in a field',
      status: 400,
      code: 'ERR_VALIDATION',
      run: () => call('POST', '/v1/accounts', { body: { email: 'a@b.c', name: 'A\u0000B' } }),
    },
    {
      name: 'missing field',
      status: 400,
      code: 'ERR_VALIDATION',
      run: () => call('POST', '/v1/accounts', { body: { email: 'a@b.c' } }),
    },
    {
      name: 'oversize body',
      status: 413,
      code: 'ERR_BODY_TOO_LARGE',
      run: () => call('POST', '/v1/accounts', { body: { email: 'a@b.c', name: 'x'.repeat(2 * 1024 * 1024) } }),
    },
    {
      name: 'malformed id',
      status: 400,
      code: 'API_ERR_INVALID_ID',
      run: () => call('GET', `/v1/accounts/${encodeURIComponent("1' OR '1'='1")}`),
    },
    { name: 'unknown route', status: 404, code: 'ERR_NOT_FOUND', run: () => call('GET', '/v1/nothing-here') },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${c.status} ${c.code}`, async () => {
      const res = await c.run();
      expect(res.status).toBe(c.status);
      expect(res.body.code).toBe(c.code);
      expect(res.headers.get('content-type')).toContain('json');
    });
  }
});

describe('rate limiting at the gateway (fixed window per API key)', () => {
  it('answers 429 with Retry-After and a code once the key is over its limit', async () => {
    // The `limited` client may make 5 requests a minute (docker-compose.yml LIMITS).
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await call('GET', '/v1/whoami', { key: LIMITED_KEY }));
    const admitted = results.filter((r) => r.status !== 429);
    const limited = results.filter((r) => r.status === 429);
    expect(admitted.length).toBeLessThanOrEqual(5);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const r of admitted) expect(r.status).toBe(200);
    const last = limited[limited.length - 1]!;
    expect(last.body.code).toBe('GW_ERR_RATE_LIMITED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last.headers.get('ratelimit-remaining')).toBe('0');
    // The IETF draft fields name the policy that decided.
    expect(last.headers.get('ratelimit-policy')).toMatch(/q=5/);
    expect(last.headers.get('ratelimit')).toMatch(/r=0/);
  });
});
