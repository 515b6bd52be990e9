import { loadConfig } from '@sdl/config';
import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import { createAccessLog } from '@sdl/server';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { checkLbConfig, LbConfigSchema } from '../../src/config.js';
import { startUpstream, staticList, type TestUpstream } from '../support/helpers.js';

const apps: FastifyInstance[] = [];
const upstreams: TestUpstream[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.stop()));
});

/** The real lb (as main.ts builds it) whose log lines land in `lines`; the proxy's base url. */
async function loggedLb(env: Record<string, string>, accessLog = createAccessLog('errors')) {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  const config = loadConfig(LbConfigSchema, { HOST: '127.0.0.1', PROXY_PORT: '0', ...env }, checkLbConfig);
  const app = await buildApp({
    config,
    logger: createLogger({ name: 'lb', destination }),
    metrics: createMetrics({ service: 'lb', defaults: false }),
    accessLog,
  });
  apps.push(app);
  await app.ready();
  const { port } = await app.lb.listenProxy();
  return { url: `http://127.0.0.1:${port}`, lines, accessLog };
}

async function get(url: string, id: string): Promise<number> {
  const res = await request(url, { headers: { 'x-request-id': id } });
  await res.body.dump();
  return res.statusCode;
}

const answers = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.msg === 'request done' || l.msg === 'request failed');

describe('lb access log', () => {
  it('logs a proxied request with its x-request-id and the host that answered, while the log is open', async () => {
    const a = await startUpstream('a');
    upstreams.push(a);
    const { url, lines, accessLog } = await loggedLb({ STATIC_UPSTREAMS: staticList([a]) });
    expect(await get(`${url}/things`, 'quiet-1')).toBe(200);
    expect(answers(lines)).toEqual([]);
    accessLog.open(60_000);
    expect(await get(`${url}/things?x=1`, 'trace-1')).toBe(200);
    expect(await get(`${url}/lb/healthz`, 'probe-1')).toBe(200);
    await vi.waitFor(() =>
      expect(answers(lines)).toMatchObject([
        {
          level: 30,
          msg: 'request done',
          reqId: 'trace-1',
          method: 'GET',
          url: '/things?x=1',
          upstream: 'a',
          statusCode: 200,
          tries: 1,
        },
      ]),
    );
    accessLog.close();
  });

  it('always logs the 5xx answers, its own and the upstream ones, with the request id', async () => {
    const a = await startUpstream('a');
    upstreams.push(a);
    a.respond = (res) => void res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    const { url, lines } = await loggedLb({ STATIC_UPSTREAMS: staticList([a]), RETRIES: '0' });
    expect(await get(`${url}/things`, 'failed-1')).toBe(503);
    await a.stop();
    expect(await get(`${url}/things`, 'failed-2')).toBe(502);
    await vi.waitFor(() =>
      expect(answers(lines)).toMatchObject([
        { level: 40, reqId: 'failed-1', upstream: 'a', statusCode: 503 },
        { level: 40, reqId: 'failed-2', statusCode: 502, tries: 1 },
      ]),
    );
  });
});
