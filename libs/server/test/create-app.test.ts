import { AppError, CommonErrors } from '@sdl/errors';
import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import { Type } from '@sinclair/typebox';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function makeApp(options: { lingerMs?: number } = {}): FastifyInstance {
  const app = createApp({
    logger: createLogger({ name: 'test', level: 'silent' }),
    metrics: createMetrics({ service: 'test', defaults: false }),
    ...options,
  });
  apps.push(app);
  app.post(
    '/things',
    { schema: { body: Type.Object({ n: Type.Integer() }, { additionalProperties: false }) } },
    async (req) => req.body,
  );
  app.get('/boom', async () => {
    throw new Error('password=hunter2 in SELECT * FROM secrets');
  });
  app.get('/gone', async () => {
    throw new AppError(CommonErrors.unavailable, { headers: { 'retry-after': '1' } });
  });
  return app;
}

describe('createApp', () => {
  it('keeps a sane caller x-request-id and replaces an insane one', async () => {
    const app = makeApp();
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects unknown fields, wrong types and bad JSON with stable codes, without coercion', async () => {
    const app = makeApp();
    const post = (payload: string) =>
      app.inject({ method: 'POST', url: '/things', payload, headers: { 'content-type': 'application/json' } });
    expect((await post('{"n":1}')).json()).toEqual({ n: 1 });
    expect((await post('{"n":1,"x":2}')).json()).toMatchObject({ status: 400, code: 'ERR_VALIDATION' });
    expect((await post('{"n":"1"}')).json()).toMatchObject({ status: 400, code: 'ERR_VALIDATION' });
    expect((await post('{"n":')).json()).toMatchObject({ status: 400, code: 'ERR_MALFORMED_JSON' });
    const big = await post(JSON.stringify({ n: 1, pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });

  it('hides the internals of a 5xx, keeps an AppError code and headers, and 404s unknown routes', async () => {
    const app = makeApp();
    const boom = await app.inject({ url: '/boom', headers: { 'x-request-id': 'r-1' } });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toMatchObject({ code: 'ERR_INTERNAL', requestId: 'r-1' });
    expect(boom.body).not.toContain('hunter2');
    const gone = await app.inject({ url: '/gone' });
    expect(gone.statusCode).toBe(503);
    expect(gone.headers['retry-after']).toBe('1');
    expect(gone.json()).toMatchObject({ code: 'ERR_UNAVAILABLE', retriable: true });
    expect((await app.inject({ url: '/nope' })).json()).toMatchObject({ status: 404, code: 'ERR_NOT_FOUND' });
  });

  it('answers /readyz 503 naming the failing dependency, 200 when all pass', async () => {
    const app = makeApp();
    let healthy = false;
    app.readiness.add('db', async () => {
      if (!healthy) throw new Error('connection refused');
    });
    const down = await app.inject({ url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ checks: { db: 'connection refused' } });
    healthy = true;
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('observes every request in the per-route histogram on /metrics', async () => {
    const app = makeApp();
    await app.inject({ url: '/gone' });
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*method="GET",route="\/gone",status_code="503"\} 1/);
  });

  it('drains an in-flight request on close and refuses new connections', async () => {
    const app = makeApp();
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inHandler = new Promise<void>((resolve) => (reached = resolve));
    app.get('/slow', async () => {
      reached();
      await gate;
      return { done: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const inFlight = request(`http://127.0.0.1:${port}/slow`);
    await inHandler; // the request is in flight inside the handler when close() starts
    const closing = app.close();
    release();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ done: true });
    await closing;
    await expect(request(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe('an oversize upload', () => {
  const LIMIT = 1024 * 1024;
  const BODY = 2 * LIMIT;
  const head = (length: number): string =>
    `POST /things HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  /** A raw connection that collects what the server sends and whether it ended or reset it. */
  async function open(app: FastifyInstance): Promise<{ socket: Socket; text: () => string; gone: Promise<string> }> {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const gone = new Promise<string>((resolve) => {
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      socket.once('close', () => resolve('closed'));
    });
    return { socket, text: () => received, gone };
  }

  const until = async (ok: () => boolean, gone: Promise<string>): Promise<void> => {
    let ended: string | undefined;
    void gone.then((how) => (ended = how));
    while (!ok()) {
      if (ended !== undefined) throw new Error(`connection ${ended} before the answer: ${JSON.stringify(ok)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('is answered 413 while the client is still sending, then read to its end: nothing is reset', async () => {
    const { socket, text, gone } = await open(makeApp());
    socket.write(head(BODY));
    socket.write(Buffer.alloc(64 * 1024, 'x'));
    // The answer arrives before the upload is done, as fastify refuses from content-length...
    await until(() => text().includes('ERR_BODY_TOO_LARGE'), gone);
    expect(text()).toMatch(/^HTTP\/1\.1 413 /);
    expect(text().toLowerCase()).not.toContain('connection: close');
    // ...and the client that goes on sending is read, not reset: the same connection serves the next request.
    socket.write(Buffer.alloc(BODY - 64 * 1024, 'x'));
    socket.write('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n');
    await until(() => text().includes('"status":"ok"'), gone);
    socket.destroy();
  });

  it('is cut once the upload is still going lingerMs after the answer', async () => {
    const { socket, text, gone } = await open(makeApp({ lingerMs: 200 }));
    socket.write(head(BODY));
    socket.write(Buffer.alloc(1024, 'x'));
    await until(() => text().includes('ERR_BODY_TOO_LARGE'), gone);
    // The client stalls: the server ends the connection rather than wait for the rest.
    expect(await gone).toMatch(/closed|ECONNRESET/);
  });

  it('gets its 413 every time through a client library that sends the whole body', async () => {
    const app = makeApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const body = JSON.stringify({ n: 1, pad: 'x'.repeat(BODY) });
    for (let i = 0; i < 20; i += 1) {
      const res = await fetch(`http://127.0.0.1:${port}/things`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    }
  });
});

describe('Server-Timing', () => {
  function timedApp(options: { enabled: boolean; stripUpstream?: boolean }): FastifyInstance {
    const app = createApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      metrics: createMetrics({ service: 'test', defaults: false }),
      serverTiming: { prefix: 'api', ...options },
    });
    apps.push(app);
    // Recorded deep in the request, after awaits, by code that is not handed the request.
    const repository = async (): Promise<void> => {
      await new Promise((resolve) => setImmediate(resolve));
      app.serverTiming.add('db', 2);
      app.serverTiming.add('db', 3);
    };
    app.get('/thing', async () => {
      await repository();
      await app.serverTiming.measure('cache', async () => undefined);
      return { ok: true };
    });
    app.get('/proxied', async (_req, reply) => reply.header('server-timing', 'up;dur=1.00').send('x'));
    return app;
  }

  it('lists what the request recorded (summed by name), serialization and the total, then the upstream', async () => {
    const app = timedApp({ enabled: true });
    const res = await app.inject({ method: 'GET', url: '/thing' });
    const entries = String(res.headers['server-timing']).split(', ');
    expect(entries[0]).toBe('api-db;dur=5.00');
    expect(entries.slice(1).map((e) => e.split(';')[0])).toEqual(['api-cache', 'api-ser', 'api']);
    const proxied = await app.inject({ method: 'GET', url: '/proxied' });
    expect(String(proxied.headers['server-timing'])).toMatch(/^api;dur=\d+\.\d{2}, up;dur=1\.00$/);
    // Concurrent requests keep their own durations.
    const many = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'GET', url: '/thing' })));
    for (const r of many) expect(String(r.headers['server-timing'])).toMatch(/^api-db;dur=5\.00, /);
  });

  it('adds nothing when off, and at the edge also drops what the upstream sent', async () => {
    const off = timedApp({ enabled: false });
    expect((await off.inject({ method: 'GET', url: '/thing' })).headers['server-timing']).toBeUndefined();
    expect((await off.inject({ method: 'GET', url: '/proxied' })).headers['server-timing']).toBe('up;dur=1.00');
    const edge = timedApp({ enabled: false, stripUpstream: true });
    expect((await edge.inject({ method: 'GET', url: '/proxied' })).headers['server-timing']).toBeUndefined();
  });
});
