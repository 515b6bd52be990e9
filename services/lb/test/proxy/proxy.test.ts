import { connect } from 'node:net';
import { closedPort } from '@sdl/testing';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { adminHosts, startLb, startUpstream, staticList, type TestLb, type TestUpstream } from '../support/helpers.js';

const agent = new Agent({ keepAliveTimeout: 1000 });
const started: TestLb[] = [];
const upstreams: TestUpstream[] = [];

async function lb(env: Record<string, string>): Promise<TestLb> {
  const instance = await startLb(env);
  started.push(instance);
  return instance;
}
async function upstream(id: string): Promise<TestUpstream> {
  const u = await startUpstream(id);
  upstreams.push(u);
  return u;
}
async function get(base: string, path = '/things', headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, { dispatcher: agent, headers });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.stop()));
});
afterAll(async () => {
  await agent.close();
});

describe('lb proxy against real upstreams', () => {
  let a: TestUpstream, b: TestUpstream, c: TestUpstream;

  it('answers /lb/healthz itself, and the admin app lists the hosts', async () => {
    a = await upstream('a');
    const { url, app } = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    const res = await get(url, '/lb/healthz');
    expect(res.status).toBe(200);
    expect(a.seen).toHaveLength(0);
    const admin = await adminHosts(app);
    expect(admin).toEqual({
      strategy: 'round-robin',
      hashKey: 'client',
      panicking: false,
      hosts: [{ id: 'a', url: a.url, weight: 1, healthy: true, source: 'static', inflight: 0, consecutiveFailures: 0 }],
    });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('round robin spreads exactly evenly and sets x-upstream', async () => {
    [a, b, c] = await Promise.all([upstream('a'), upstream('b'), upstream('c')]);
    const { url, app } = await lb({ STATIC_UPSTREAMS: staticList([c, a, b]) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const res = await get(url);
      expect(res.status).toBe(200);
      const by = res.headers['x-upstream'] as string;
      expect(res.json().id).toBe(by);
      counts.set(by, (counts.get(by) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 20, b: 20, c: 20 });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/lb_upstream_requests_total\{upstream="a",status_class="2xx"[^}]*\} 20/);
    expect(metrics).toMatch(/lb_upstream_healthy\{upstream="b"[^}]*\} 1/);
    expect(metrics).toMatch(/lb_upstreams\{[^}]*\} 3/);
    expect(metrics).toMatch(/lb_strategy_info\{strategy="round-robin",hash_key="client"[^}]*\} 1/);
  });

  it('forwards x-request-id (or makes one), appends x-forwarded-for, strips hop-by-hop headers', async () => {
    a = await upstream('a');
    const { url } = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    const res = await get(url, '/x?y=1', { 'x-request-id': 'req-42', 'x-forwarded-for': '10.0.0.1', 'x-custom': 'v' });
    expect(res.headers['x-request-id']).toBe('req-42');
    const seen = a.seen[0]!;
    expect(seen.url).toBe('/x?y=1');
    expect(seen.headers['x-request-id']).toBe('req-42');
    expect(seen.headers['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(seen.headers['x-custom']).toBe('v');
    expect(seen.headers['keep-alive']).toBeUndefined();
    const second = await get(url);
    expect(a.seen[1]!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers['x-request-id']).toBe(a.seen[1]!.headers['x-request-id']);
  });

  it('forwards POST bodies intact, fixed-length and chunked', async () => {
    a = await upstream('a');
    const { url } = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    const big = 'x'.repeat(300_000) + 'end';
    const res = await request(`${url}/posts`, {
      dispatcher: agent,
      method: 'POST',
      body: big,
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { body: string }).body).toBe(big);
    async function* chunks() {
      for (let i = 0; i < 5; i++) yield Buffer.from(`part${i};`);
    }
    const chunked = await request(`${url}/posts`, { dispatcher: agent, method: 'POST', body: chunks() as never });
    expect(((await chunked.body.json()) as { body: string }).body).toBe('part0;part1;part2;part3;part4;');
    expect(a.seen.map((s) => s.method)).toEqual(['POST', 'POST']);
  });

  it('streams a large chunked response intact, in order, through the client backpressure', async () => {
    a = await upstream('a');
    const { url } = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    // 8 MiB, far beyond the socket buffers: the lb must pause the upstream while the client lags.
    const chunks = Array.from({ length: 128 }, (_, i) => Buffer.alloc(64 * 1024, i % 251));
    a.respond = (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let i = 0;
      const pump = (): void => {
        while (i < chunks.length) if (!res.write(chunks[i++])) return void res.once('drain', pump);
        res.end();
      };
      pump();
    };
    const res = await request(`${url}/big`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-upstream']).toBe('a');
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(body.equals(Buffer.concat(chunks))).toBe(true);
  });

  it('skips a closed upstream (GETs retried elsewhere), marks it down, and takes it back when it returns', async () => {
    [a, b, c] = await Promise.all([upstream('a'), upstream('b'), upstream('c')]);
    const { url, app } = await lb({
      STATIC_UPSTREAMS: staticList([a, b, c]),
      HEALTH_INTERVAL_MS: '50',
      HEALTH_TIMEOUT_MS: '200',
    });
    for (let i = 0; i < 6; i++) expect((await get(url)).status).toBe(200); // keep-alive sockets to all three
    await b.stop();
    const answered: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await get(url);
      expect(res.status).toBe(200);
      answered.push(res.headers['x-upstream'] as string);
    }
    expect(answered).not.toContain('b');
    await vi.waitFor(async () => {
      expect((await adminHosts(app)).hosts.find((h) => h.id === 'b')?.healthy).toBe(false);
    });
    await b.restart();
    await vi.waitFor(async () => {
      expect((await adminHosts(app)).hosts.find((h) => h.id === 'b')?.healthy).toBe(true);
    });
    const after = await Promise.all(Array.from({ length: 6 }, () => get(url)));
    expect(after.map((r) => r.headers['x-upstream'])).toContain('b');
  });

  it('retries a POST on another host only when its connection failed before anything was sent', async () => {
    a = await upstream('b-live');
    const dead = await closedPort();
    const { url, app } = await lb({ STATIC_UPSTREAMS: `a-dead=http://127.0.0.1:${dead},${staticList([a])}` });
    const res = await request(`${url}/posts`, { dispatcher: agent, method: 'POST', body: 'payload' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-upstream']).toBe('b-live');
    expect(((await res.body.json()) as { body: string }).body).toBe('payload');
    expect((await adminHosts(app)).hosts.find((h) => h.id === 'a-dead')?.healthy).toBe(false);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/lb_retries_total\{[^}]*\} 1/);
  });

  it('answers 502 LB_ERR_UPSTREAM_UNAVAILABLE when every try fails to connect', async () => {
    const [p1, p2] = await Promise.all([closedPort(), closedPort()]);
    const { url } = await lb({ STATIC_UPSTREAMS: `x=http://127.0.0.1:${p1},y=http://127.0.0.1:${p2}` });
    const res = await get(url);
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json().code).toBe('LB_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('answers 503 LB_ERR_NO_HEALTHY_UPSTREAM when health checks took every host out', async () => {
    a = await upstream('a');
    a.healthy = false;
    const { url, app } = await lb({ STATIC_UPSTREAMS: staticList([a]), HEALTH_INTERVAL_MS: '50' });
    await vi.waitFor(async () => expect((await adminHosts(app)).hosts[0]?.healthy).toBe(false));
    const res = await get(url, '/things', { 'x-request-id': 'rid-503' });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ code: 'LB_ERR_NO_HEALTHY_UPSTREAM', requestId: 'rid-503', retriable: true });
    expect(a.seen).toHaveLength(0);
    const empty = await lb({});
    expect((await get(empty.url)).json().code).toBe('LB_ERR_NO_HEALTHY_UPSTREAM');
  });

  it('times out a slow upstream: GETs go to another host, POSTs answer 504 without a retry', async () => {
    const [slow, fast] = await Promise.all([upstream('a-slow'), upstream('b-fast')]);
    slow.delayMs = 2000;
    const { url } = await lb({ STATIC_UPSTREAMS: staticList([slow, fast]), TRY_TIMEOUT_MS: '200', HEALTH_FALL: '5' });
    const retried = await get(url);
    expect(retried.status).toBe(200);
    expect(retried.headers['x-upstream']).toBe('b-fast');
    const post = await request(`${url}/posts`, { dispatcher: agent, method: 'POST', body: 'once' });
    expect(post.statusCode).toBe(504);
    expect(((await post.body.json()) as { code: string }).code).toBe('LB_ERR_UPSTREAM_TIMEOUT');
    expect(fast.seen.map((s) => s.method)).toEqual(['GET']);
    const alone = await lb({ STATIC_UPSTREAMS: staticList([slow]), TRY_TIMEOUT_MS: '200' });
    const res = await get(alone.url);
    expect(res.status).toBe(504);
    expect(res.json().code).toBe('LB_ERR_UPSTREAM_TIMEOUT');
  });

  it('resends a POST with an Idempotency-Key to another host after a timeout or reset, body intact', async () => {
    const [slow, broken, fast] = await Promise.all([upstream('a-slow'), upstream('b-reset'), upstream('c-fast')]);
    slow.delayMs = 2000;
    broken.respond = (res) => res.destroy();
    const body = JSON.stringify({ email: 'a@b.test', name: 'x'.repeat(5000) });
    // A fresh lb's round robin starts at its first host: the failing one, then the only other.
    for (const failing of [slow, broken]) {
      const { url, app } = await lb({
        STATIC_UPSTREAMS: staticList([failing, fast]),
        TRY_TIMEOUT_MS: '200',
        HEALTH_FALL: '5',
      });
      const post = await request(`${url}/v1/accounts`, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `signup-${failing.id}` },
        body,
      });
      expect(post.statusCode, failing.id).toBe(200);
      expect(await post.body.json()).toMatchObject({ id: 'c-fast', body });
      expect(failing.seen.map((s) => s.body)).toEqual([body]);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/lb_retries_total(\{[^}]*\})? 1/);
    }
    expect(fast.seen.filter((s) => s.method === 'POST')).toHaveLength(2);

    // Without the key, the same POST is not resent: it may have taken effect.
    const unkeyed = await lb({ STATIC_UPSTREAMS: staticList([broken, fast]), HEALTH_FALL: '5' });
    const once = await request(`${unkeyed.url}/v1/accounts`, { dispatcher: agent, method: 'POST', body });
    expect(once.statusCode).toBe(502);
    expect(((await once.body.json()) as { code: string }).code).toBe('LB_ERR_UPSTREAM_RESET');
    // Nor with buffering off (KEYED_RETRY_BODY_LIMIT_BYTES=0): the streamed body cannot be sent twice.
    const off = await lb({
      STATIC_UPSTREAMS: staticList([broken, fast]),
      HEALTH_FALL: '5',
      KEYED_RETRY_BODY_LIMIT_BYTES: '0',
    });
    const keyedOff = await request(`${off.url}/v1/accounts`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'idempotency-key': 'signup-8' },
      body,
    });
    expect(keyedOff.statusCode).toBe(502);
    await keyedOff.body.dump();
    expect(fast.seen.filter((s) => s.method === 'POST')).toHaveLength(2);
  });

  it('prepends lb-pick and lb-upstream to the upstream Server-Timing (SERVER_TIMING=false: passes it as is)', async () => {
    a = await upstream('a');
    a.respond = (res) => res.writeHead(200, { 'server-timing': 'api;dur=1.00' }).end('ok');
    const { url } = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    const res = await get(url);
    expect(String(res.headers['server-timing'])).toMatch(
      /^lb-pick;dur=\d+\.\d{2}, lb-upstream;dur=\d+\.\d{2}, api;dur=1\.00$/,
    );
    const off = await lb({ STATIC_UPSTREAMS: staticList([a]), SERVER_TIMING: 'false' });
    expect((await get(off.url)).headers['server-timing']).toBe('api;dur=1.00');
  });

  it('keeps an idle client connection open for KEEP_ALIVE_TIMEOUT_MS (72 s by default), then closes it', async () => {
    a = await upstream('a');
    const keeps = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    expect((await get(keeps.url)).headers['keep-alive']).toBe('timeout=72');
    const short = await lb({ STATIC_UPSTREAMS: staticList([a]), KEEP_ALIVE_TIMEOUT_MS: '1000' });
    // One raw connection: the response says how long it stays; the server then ends it, idle.
    const socket = connect(Number(new URL(short.url).port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    socket.write('GET /things HTTP/1.1\r\nhost: lb\r\n\r\n');
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
    socket.destroy();
  });

  it('drains an in-flight request on close', async () => {
    a = await upstream('a');
    a.delayMs = 300;
    const instance = await startLb({ STATIC_UPSTREAMS: staticList([a]) });
    const pending = get(instance.url);
    await vi.waitFor(() => expect(a.seen).toHaveLength(1));
    await instance.close();
    expect((await pending).status).toBe(200);
    await expect(get(instance.url)).rejects.toThrow();
  });

  it('survives client aborts and upstream resets mid-body', async () => {
    a = await upstream('a');
    const { url, app } = await lb({ STATIC_UPSTREAMS: staticList([a]) });
    a.respond = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => res.destroy(), 20);
    };
    await expect(get(url)).rejects.toThrow();
    a.respond = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('slow');
    };
    const aborter = new AbortController();
    const res = await request(`${url}/slow`, { dispatcher: agent, signal: aborter.signal });
    aborter.abort();
    await expect(res.body.text()).rejects.toThrow();
    a.respond = undefined;
    expect((await get(url)).status).toBe(200);
    await vi.waitFor(async () => {
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/lb_upstream_errors_total\{upstream="a",kind="reset"/);
      expect(metrics).toMatch(/lb_upstream_errors_total\{upstream="a",kind="client_abort"/);
      expect((await adminHosts(app)).hosts[0]?.inflight).toBe(0);
    });
  });
});
