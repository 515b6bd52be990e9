import { startRedis, type Started } from '@sdl/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  deadUrl,
  startGateway,
  startRateLimiter,
  startUpstream,
  type GatewayListening,
  type Listening,
  type Upstream,
} from './support/servers.js';

const DEMO = 'lab-demo-key';
const LIMITED = 'lab-limited-key';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

// Every call carries a client-side deadline, so a hanging gateway fails the test instead of stalling it.
async function call(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method: (options.method ?? 'GET') as 'GET',
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

describe('gateway against a real ratelimiter, Redis and upstream', () => {
  let redis: Started | undefined;
  let upstream: Upstream;
  let limiter: Listening;
  let gateway: GatewayListening;
  const others: GatewayListening[] = [];

  async function otherGateway(env: Record<string, string>): Promise<GatewayListening> {
    const started = await startGateway(env);
    others.push(started);
    return started;
  }

  beforeAll(async () => {
    // One after the other: if the second fails, afterAll still stops the first.
    redis = await startRedis();
    upstream = await startUpstream();
    limiter = await startRateLimiter({
      REDIS_URL: redis.url,
      LIMITS: JSON.stringify({
        default: { limit: 1000, windowMs: 60000 },
        clients: { limited: { limit: 3, windowMs: 60000 }, trio: { limit: 10, windowMs: 60000 } },
      }),
    });
    gateway = await startGateway({
      LB_URL: upstream.url,
      RATELIMITER_URL: limiter.url,
      BODY_LIMIT_BYTES: '1024',
      UPSTREAM_TIMEOUT_MS: '300',
    });
    await vi.waitFor(async () => expect((await call(gateway.url, '/readyz')).status).toBe(200), {
      timeout: 10_000,
      interval: 50,
    });
  });

  afterAll(async () => {
    for (const g of [...others, gateway]) await g?.app.close();
    await limiter?.app.close();
    await upstream?.close();
    await redis?.stop();
  });

  it('answers 401 GW_ERR_UNAUTHORIZED without a key or with a wrong one, and never proxies', async () => {
    const before = upstream.seen.length;
    const variants: Record<string, string>[] = [{}, { 'x-api-key': 'wrong' }, { authorization: 'Bearer wrong' }];
    for (const headers of variants) {
      const res = await call(gateway.url, '/v1/accounts', { headers });
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ code: 'GW_ERR_UNAUTHORIZED' });
    }
    expect(upstream.seen.length).toBe(before);
  });

  it('proxies method, path, query, body and safe headers, and keeps secrets at the edge', async () => {
    const res = await call(gateway.url, '/v1/accounts/42?expand=posts&x=%20y', {
      method: 'PATCH',
      headers: {
        'x-api-key': DEMO,
        'content-type': 'application/json',
        'x-request-id': 'trace-abc-123',
        'x-custom': 'kept',
        'x-client-id': 'admin',
        'x-forwarded-for': '203.0.113.7',
      },
      body: '{"name":"ada"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-abc-123');
    expect(res.headers['x-upstream']).toBe('stand-in');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['ratelimit-limit']).toBe('1000');
    const seen = res.json() as unknown as {
      method: string;
      url: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(seen.method).toBe('PATCH');
    expect(seen.url).toBe('/v1/accounts/42?expand=posts&x=%20y');
    expect(seen.body).toBe('{"name":"ada"}');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['content-length']).toBe('14');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['x-request-id']).toBe('trace-abc-123');
    expect(seen.headers['x-client-id']).toBe('demo');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-tenant-id']).toBe('demo');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(DEMO);
  });

  it('answers with Server-Timing: its auth, rate limit and upstream, then the chain behind it', async () => {
    const res = await call(gateway.url, '/v1/accounts/1', { headers: { 'x-api-key': DEMO } });
    expect(res.status).toBe(200);
    const names = String(res.headers['server-timing'])
      .split(', ')
      .map((entry) => /^([a-z-]+);dur=\d+\.\d{2}$/.exec(entry)?.[1]);
    expect(names).toEqual(['gw-auth', 'gw-ratelimit', 'gw-upstream', 'gw', 'lb-pick', 'lb-upstream']);
    // SERVER_TIMING=false at the edge hides the chain's entries too.
    const quiet = await otherGateway({ LB_URL: upstream.url, RATELIMIT_ENABLED: 'false', SERVER_TIMING: 'false' });
    const hidden = await call(quiet.url, '/v1/accounts/1', { headers: { 'x-api-key': DEMO } });
    expect(hidden.status).toBe(200);
    expect(hidden.headers['server-timing']).toBeUndefined();
  });

  it('accepts a Bearer key and gives each request an id when the caller sends none', async () => {
    const res = await call(gateway.url, '/v1/posts', { headers: { authorization: `Bearer ${DEMO}` } });
    expect(res.status).toBe(200);
    const id = res.headers['x-request-id'];
    expect(typeof id).toBe('string');
    expect((res.json().headers as Record<string, string>)['x-request-id']).toBe(id);
    expect((res.json().headers as Record<string, string>).authorization).toBeUndefined();
  });

  it('passes upstream error statuses through unchanged', async () => {
    const res = await call(gateway.url, '/v1/status/409', { headers: { 'x-api-key': DEMO } });
    expect(res.status).toBe(409);
    expect(res.json().url).toBe('/v1/status/409');
  });

  it('refuses malformed JSON itself; with BODY_CONTENT_TYPES=* passes other bodies byte for byte', async () => {
    const before = upstream.seen.length;
    const res = await call(gateway.url, '/v1/accounts', {
      method: 'POST',
      headers: { 'x-api-key': DEMO, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_MALFORMED_JSON' });
    expect(upstream.seen.length).toBe(before);
    const any = await otherGateway({ LB_URL: upstream.url, RATELIMITER_URL: limiter.url, BODY_CONTENT_TYPES: '*' });
    const plain = await call(any.url, '/v1/blobs', {
      method: 'PUT',
      headers: { 'x-api-key': DEMO, 'content-type': 'application/octet-stream' },
      body: Buffer.from('raw bytes'),
    });
    expect(plain.json()).toMatchObject({ method: 'PUT', body: 'raw bytes' });
  });

  it('answers 413 ERR_BODY_TOO_LARGE itself for an oversize body', async () => {
    const before = upstream.seen.length;
    const res = await call(gateway.url, '/v1/accounts', {
      method: 'POST',
      headers: { 'x-api-key': DEMO, 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2000) }),
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(upstream.seen.length).toBe(before);
  });

  it('admits the limit, then answers 429 GW_ERR_RATE_LIMITED with Retry-After and RateLimit headers', async () => {
    const admitted = [];
    for (let i = 0; i < 3; i += 1)
      admitted.push(await call(gateway.url, '/v1/posts', { headers: { 'x-api-key': LIMITED } }));
    expect(admitted.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(admitted.map((r) => r.headers['ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(admitted[0]!.headers['ratelimit-limit']).toBe('3');

    const before = upstream.seen.length;
    const denied = await call(gateway.url, '/v1/posts', { headers: { 'x-api-key': LIMITED } });
    expect(denied.status).toBe(429);
    expect(denied.json()).toMatchObject({ code: 'GW_ERR_RATE_LIMITED', retriable: true });
    const retryAfter = Number(denied.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(denied.headers['ratelimit-limit']).toBe('3');
    expect(denied.headers['ratelimit-remaining']).toBe('0');
    expect(Number(denied.headers['ratelimit-reset'])).toBe(retryAfter);
    expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(denied.headers['ratelimit-policy']).toBe('"client-0";q=3;w=60');
    expect(denied.headers.ratelimit).toBe(`"client-0";r=0;t=${retryAfter}`);
    expect(admitted[0]!.headers['ratelimit-policy']).toBe('"client-0";q=3;w=60');
    expect(admitted[0]!.headers.ratelimit).toMatch(/^"client-0";r=2;t=\d+$/);
    // Once denied, the local stage answers the key's next requests itself, sparing the ratelimiter.
    const again = await call(gateway.url, '/v1/posts', { headers: { 'x-api-key': LIMITED } });
    expect(again.status).toBe(429);
    expect((await call(gateway.adminUrl, '/metrics')).text).toMatch(
      /gateway_ratelimit_redis_calls_saved_total\{[^}]*\} [1-9]/,
    );
    expect(upstream.seen.length).toBe(before);
    // Another client is unaffected.
    expect((await call(gateway.url, '/v1/posts', { headers: { 'x-api-key': DEMO } })).status).toBe(200);
  });

  it('three gateways leasing batches of one global limit admit exactly the limit in one window, saving calls', async () => {
    // limit 10, batch floor(10 x 0.2) = 2: every gateway has more requests than tokens, so all are spent.
    const env = {
      LB_URL: upstream.url,
      RATELIMITER_URL: limiter.url,
      API_KEYS: 'trio:lab-trio-key',
      RATELIMIT_LOCAL_BATCH_FRACTION: '0.2',
    };
    const trio = [await otherGateway(env), await otherGateway(env), await otherGateway(env)];
    const answers = await Promise.all(
      Array.from({ length: 45 }, (_, i) =>
        call(trio[i % 3]!.url, '/v1/posts', { headers: { 'x-api-key': 'lab-trio-key' } }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(35);
    // A second wave is answered locally by every gateway that has seen a denial.
    const wave = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(trio[i % 3]!.url, '/v1/posts', { headers: { 'x-api-key': 'lab-trio-key' } }),
      ),
    );
    expect(wave.every((a) => a.status === 429)).toBe(true);
    let saved = 0;
    let checks = 0;
    for (const g of trio) {
      const text = (await call(g.adminUrl, '/metrics')).text;
      saved += Number(/gateway_ratelimit_redis_calls_saved_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
      checks += Number(/gateway_ratelimit_global_checks_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    }
    expect(saved).toBeGreaterThanOrEqual(30);
    // 75 requests, single-flight leases: far fewer ratelimiter calls than requests.
    expect(saved + checks).toBe(75);
    expect(checks).toBeLessThan(45);
  });

  it('three gateways under load admit at most limit + N x batch in any window (sliding log)', async () => {
    const windowMs = 1500;
    const limit = 40;
    const ownLimiter = await startRateLimiter({
      REDIS_URL: redis!.url,
      LIMITS: JSON.stringify({ default: { limit, windowMs }, clients: {} }),
      LIMITS_ALGORITHM: 'sliding-log',
    });
    // batch = floor(40 x 0.25) = 10
    const env = {
      LB_URL: upstream.url,
      RATELIMITER_URL: ownLimiter.url,
      API_KEYS: 'load:lab-load-key',
      RATELIMIT_LOCAL_BATCH_FRACTION: '0.25',
    };
    const trio = [await otherGateway(env), await otherGateway(env), await otherGateway(env)];
    const bound = limit + trio.length * 10;
    const from = upstream.seen.length;
    const until = Date.now() + 3 * windowMs;
    let sent = 0;
    await Promise.all(
      trio.flatMap((g) =>
        Array.from({ length: 3 }, async () => {
          while (Date.now() < until) {
            sent += 1;
            await call(g.url, '/v1/posts/load', { headers: { 'x-api-key': 'lab-load-key' } });
          }
        }),
      ),
    );
    const times = upstream.seen
      .slice(from)
      .filter((s) => s.url === '/v1/posts/load')
      .map((s) => s.at)
      .sort((a, b) => a - b);
    // Arrival at the stand-in lags admission by a hop: a window shortened by a margin only holds
    // arrivals admitted within one full window.
    const span = windowMs - 200;
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i += 1) {
      while (times[j]! < times[i]! - span) j += 1;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(bound);
    expect(times.length).toBeGreaterThanOrEqual(limit);
    let checks = 0;
    for (const g of trio)
      checks += Number(
        /gateway_ratelimit_global_checks_total\{[^}]*\} (\d+)/.exec((await call(g.adminUrl, '/metrics')).text)?.[1] ??
          0,
      );
    expect(checks).toBeLessThan(sent / 4);
    await ownLimiter.app.close();
  });

  it('failing open with the ratelimiter gone, three gateways admit at most N x limit per window (their local buckets)', async () => {
    const ownLimiter = await startRateLimiter({
      REDIS_URL: redis!.url,
      LIMITS: JSON.stringify({ default: { limit: 4, windowMs: 60000 }, clients: {} }),
    });
    const env = { LB_URL: upstream.url, RATELIMITER_URL: ownLimiter.url, API_KEYS: 'quad:lab-quad-key' };
    const trio = [await otherGateway(env), await otherGateway(env), await otherGateway(env)];
    const send = (g: GatewayListening) => call(g.url, '/v1/posts', { headers: { 'x-api-key': 'lab-quad-key' } });
    let admitted = 0;
    // One request each while the ratelimiter is up sizes every gateway's local bucket.
    for (const g of trio) if ((await send(g)).status === 200) admitted += 1;
    await ownLimiter.app.close();
    for (let i = 0; i < 10; i += 1) for (const g of trio) if ((await send(g)).status === 200) admitted += 1;
    // Refill during the test is 4 per minute per gateway: well under one token.
    expect(admitted).toBeGreaterThan(4);
    expect(admitted).toBeLessThanOrEqual(3 * 4);
  });

  it('answers 504 GW_ERR_UPSTREAM_TIMEOUT when the upstream is slower than the timeout', async () => {
    const res = await call(gateway.url, '/v1/slow', { headers: { 'x-api-key': DEMO } });
    expect(res.status).toBe(504);
    expect(res.json()).toMatchObject({ code: 'GW_ERR_UPSTREAM_TIMEOUT' });
  });

  it('answers 502 GW_ERR_UPSTREAM_UNAVAILABLE (retriable) when the upstream is down, and is not ready', async () => {
    const down = await otherGateway({ LB_URL: await deadUrl(), RATELIMITER_URL: limiter.url });
    const res = await call(down.url, '/v1/posts', { headers: { 'x-api-key': DEMO } });
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ code: 'GW_ERR_UPSTREAM_UNAVAILABLE', retriable: true });
    const ready = await call(down.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { ratelimiter: 'ok' } });
  });

  it('fails open (proxies) or closed (503) when the ratelimiter is unreachable', async () => {
    const rateLimiterUrl = await deadUrl();
    const open = await otherGateway({ LB_URL: upstream.url, RATELIMITER_URL: rateLimiterUrl });
    const closed = await otherGateway({
      LB_URL: upstream.url,
      RATELIMITER_URL: rateLimiterUrl,
      RATELIMIT_FAIL_MODE: 'closed',
    });
    const proxied = await call(open.url, '/v1/posts', { headers: { 'x-api-key': DEMO } });
    expect(proxied.status).toBe(200);
    expect(proxied.headers['ratelimit-limit']).toBeUndefined();
    const refused = await call(closed.url, '/v1/posts', { headers: { 'x-api-key': DEMO } });
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'GW_ERR_RATELIMIT_UNAVAILABLE', retriable: true });
    const metrics = (await call(open.adminUrl, '/metrics')).text;
    expect(metrics).toMatch(/gateway_ratelimit_failures_total\{mode="open"[^}]*\} 1\n/);
    expect(metrics).toMatch(/gateway_ratelimit_decisions_total\{result="failed_open"[^}]*\} 1\n/);
  });

  it('skips the ratelimiter when rate limiting is disabled', async () => {
    const off = await otherGateway({
      LB_URL: upstream.url,
      RATELIMITER_URL: await deadUrl(),
      RATELIMIT_ENABLED: 'false',
    });
    expect((await call(off.url, '/v1/posts', { headers: { 'x-api-key': LIMITED } })).status).toBe(200);
    expect((await call(off.url, '/readyz')).status).toBe(200);
  });

  it('keeps its own endpoints local and answers 404 ERR_NOT_FOUND elsewhere', async () => {
    const before = upstream.seen.length;
    expect((await call(gateway.url, '/healthz')).status).toBe(200);
    const missing = await call(gateway.url, '/v2/posts', { headers: { 'x-api-key': DEMO } });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(upstream.seen.length).toBe(before);
    const metrics = (await call(gateway.adminUrl, '/metrics')).text;
    expect(metrics).toMatch(/gateway_proxied_total\{status_class="2xx"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_proxied_total\{status_class="5xx"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_ratelimit_decisions_total\{result="denied(_local)?"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_auth_failures_total\{[^}]*\} [1-9]/);
  });
});
