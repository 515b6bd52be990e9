import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp as buildRateLimiter, RateLimiterConfigSchema } from '@sdl/ratelimiter';
import { closedPort, createTestAppBuilder } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { checkGatewayConfig, GatewayConfigSchema } from '../../src/config.js';

/** What the stand-in lb saw of one request. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Date.now() when it arrived. */
  readonly at: number;
}

export interface Upstream {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/**
 * A tiny real HTTP server standing in for the lb: answers `/lb/healthz` itself, never answers
 * `/v1/slow`, answers `/v1/status/<code>` with that status, and echoes everything else as JSON.
 */
export async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      if (url === '/lb/healthz') return void res.end('ok');
      const entry = {
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      seen.push(entry);
      if (url.startsWith('/v1/slow')) return;
      const status = /^\/v1\/status\/(\d{3})/.exec(url)?.[1];
      res.statusCode = status === undefined ? 200 : Number(status);
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-upstream', 'stand-in');
      res.setHeader('server-timing', 'lb-pick;dur=0.01, lb-upstream;dur=2.00');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify(entry));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A localhost URL that nothing listens on. */
export async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}`;
}

export interface Listening {
  readonly app: FastifyInstance;
  readonly url: string;
}

/** The real ratelimiter service, as its main.ts builds it. */
const buildRateLimiterApp = createTestAppBuilder({
  name: 'ratelimiter',
  schema: RateLimiterConfigSchema,
  build: buildRateLimiter,
  // Generous bounds unless a test sets its own: on a loaded 2-core machine a 100 ms Redis call
  // can time out, and a fail-open answer would then be mistaken for the algorithm's.
  env: { REDIS_TIMEOUT_MS: '2000' },
});

/** The gateway, as its main.ts builds it. */
const buildGatewayApp = createTestAppBuilder({
  name: 'gateway',
  schema: GatewayConfigSchema,
  check: checkGatewayConfig,
  build: buildApp,
  env: { RATELIMIT_TIMEOUT_MS: '2000', ADMIN_PORT: '0', HOST: '127.0.0.1' },
});

/** The real ratelimiter service against a real Redis, ready and listening on a free port. */
export async function startRateLimiter(env: Record<string, string>): Promise<Listening> {
  const limiter = await buildRateLimiterApp(env);
  // Its Redis client has no offline queue: a check sent before the connection is ready would be
  // answered by the fail mode, not counted. Tests start from a ready ratelimiter, as compose does.
  await limiter.untilReady();
  return { app: limiter.app, url: await limiter.listen() };
}

/** A listening gateway: its public url, its admin listener's (metrics) and its HTTPS one's (when configured). */
export interface GatewayListening extends Listening {
  readonly adminUrl: string;
  readonly tlsUrl: string | undefined;
}

/** A gateway configured from an environment, as main.ts would, both listeners on free ports. */
export async function startGateway(env: Record<string, string>): Promise<GatewayListening> {
  const gateway = await buildGatewayApp(env);
  const url = await gateway.listen();
  const admin = await gateway.app.gatewayAdmin.listen();
  const tls = await gateway.app.gatewayTls?.listen();
  return {
    app: gateway.app,
    url,
    adminUrl: `http://127.0.0.1:${admin.port}`,
    tlsUrl: tls === undefined ? undefined : `https://localhost:${tls.port}`,
  };
}

/** A stand-in lb behind a gateway with rate limiting off: the edge alone, as the hostile-input tests need it. */
export interface Edge {
  readonly upstream: Upstream;
  readonly gateway: GatewayListening;
  close(): Promise<void>;
}

/** Starts a stand-in lb and a gateway in front of it (RATELIMIT_ENABLED=false, plus `env`). */
export async function startEdge(env: Record<string, string>): Promise<Edge> {
  const upstream = await startUpstream();
  let gateway: GatewayListening;
  try {
    gateway = await startGateway({ LB_URL: upstream.url, RATELIMIT_ENABLED: 'false', ...env });
  } catch (err) {
    await upstream.close();
    throw err;
  }
  return {
    upstream,
    gateway,
    close: async () => {
      await gateway.app.close();
      await upstream.close();
    },
  };
}
