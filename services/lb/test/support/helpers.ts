import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Coordinator } from '@sdl/coord';
import { createTestAppBuilder } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { checkLbConfig, LbConfigSchema } from '../../src/config.js';

/** What a test upstream saw of one request. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real HTTP upstream on 127.0.0.1 answering `{ id, ... }`; its behaviour can be changed live. */
export interface TestUpstream {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly seen: Seen[];
  /** Delay before answering proxied requests (not /healthz). */
  delayMs: number;
  /** When false, /healthz answers 500. */
  healthy: boolean;
  /** Replaces the answer to proxied requests (for streaming and broken responses). */
  respond?: (res: ServerResponse) => void;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startUpstream(id: string): Promise<TestUpstream> {
  let server: Server;
  const make = (): Server =>
    createServer((req, res) => {
      if (req.url === '/healthz') {
        res.writeHead(upstream.healthy ? 200 : 500).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        upstream.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const answer = () => {
          if (res.destroyed) return;
          if (upstream.respond !== undefined) return upstream.respond(res);
          const payload = JSON.stringify({ id, method: req.method, url: req.url, body });
          res.writeHead(200, { 'content-type': 'application/json', 'x-answered-by': id }).end(payload);
        };
        if (upstream.delayMs > 0) setTimeout(answer, upstream.delayMs);
        else answer();
      });
    });
  server = make();
  const port = await listen(server, 0);
  const upstream: TestUpstream = {
    id,
    port,
    url: `http://127.0.0.1:${port}`,
    seen: [],
    delayMs: 0,
    healthy: true,
    async stop() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async restart() {
      server = make();
      await listen(server, port);
    },
  };
  return upstream;
}

export interface TestLb {
  readonly app: FastifyInstance;
  /** The proxy's base url. */
  readonly url: string;
  close(): Promise<void>;
}

/** The lb's app as main.ts builds it: both listeners on 127.0.0.1, the proxy on a free port. */
export const buildTestApp = createTestAppBuilder({
  name: 'lb',
  schema: LbConfigSchema,
  check: checkLbConfig,
  build: buildApp,
  env: { HOST: '127.0.0.1', PROXY_PORT: '0', SHUTDOWN_GRACE_MS: '2000' },
  logLevel: process.env.LB_TEST_LOG ?? 'silent',
});

/** The real lb (admin app + proxy on 127.0.0.1:0), configured through its env schema. */
export async function startLb(env: Record<string, string>, coordinator?: Coordinator): Promise<TestLb> {
  const { app } = await buildTestApp(env, { coordinator });
  await app.ready();
  const address = await app.lb.listenProxy();
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

export const staticList = (upstreams: readonly TestUpstream[]): string =>
  upstreams.map((u) => `${u.id}=${u.url}`).join(',');

interface AdminHost {
  id: string;
  url: string;
  weight: number;
  healthy: boolean;
  source: string;
  inflight: number;
  consecutiveFailures: number;
  ejected?: boolean;
  ejections?: number;
  effectiveWeight?: number;
}

export interface AdminState {
  strategy: string;
  hashKey: string;
  panicking: boolean;
  hosts: AdminHost[];
}

export async function adminHosts(app: FastifyInstance): Promise<AdminState> {
  const res = await app.inject({ method: 'GET', url: '/admin/lb' });
  return res.json<AdminState>();
}
