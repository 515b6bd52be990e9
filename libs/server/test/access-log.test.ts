import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@sdl/logging';
import { createMetrics } from '@sdl/metrics';
import type { FastifyInstance } from 'fastify';
// Not the package: @sdl/testing depends on @sdl/server (a cycle); its port helper has no such import.
import { closedPort } from '../../testing/src/ports.js';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAccessLog, createApp, type AccessLog } from '../src/index.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** An app whose log lines land in `lines` (parsed). */
function loggedApp(accessLog: AccessLog): { app: FastifyInstance; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  const logger = createLogger({ name: 'test', destination });
  const app = createApp({ logger, metrics: createMetrics({ service: 'test', defaults: false }), accessLog });
  apps.push(app);
  app.get('/things', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  return { app, lines };
}

const byMessage = (lines: Record<string, unknown>[], msg: string) => lines.filter((l) => l.msg === msg);

describe('access log', () => {
  it('opens a window of every-request logging that closes by itself; ACCESS_LOG=all is always open', () => {
    vi.useFakeTimers();
    const log = createAccessLog('errors');
    expect(log.all).toBe(false);
    log.open(60_000);
    expect(log.all).toBe(true);
    vi.advanceTimersByTime(59_999);
    expect(log.all).toBe(true);
    vi.advanceTimersByTime(1);
    expect(log.all).toBe(false);
    log.open(1000);
    log.close();
    expect(log.all).toBe(false);
    expect(createAccessLog('all').all).toBe(true);
  });

  it('logs each request with the caller x-request-id under all, probes aside; only 5xx under errors', async () => {
    const open = loggedApp(createAccessLog('all'));
    await open.app.inject({ url: '/things', headers: { 'x-request-id': 'trace-1' } });
    await open.app.inject({ url: '/healthz', headers: { 'x-request-id': 'probe-1' } });
    await open.app.inject({ url: '/nope', headers: { 'x-request-id': 'trace-2' } });
    expect(byMessage(open.lines, 'request done')).toMatchObject([
      { reqId: 'trace-1', statusCode: 200, req: { method: 'GET', url: '/things' } },
      { reqId: 'trace-2', statusCode: 404 },
    ]);

    const quiet = loggedApp(createAccessLog('errors'));
    await quiet.app.inject({ url: '/things', headers: { 'x-request-id': 'trace-3' } });
    await quiet.app.inject({ url: '/boom', headers: { 'x-request-id': 'trace-4' } });
    expect(byMessage(quiet.lines, 'request done')).toEqual([]);
    expect(byMessage(quiet.lines, 'request failed')).toMatchObject([{ reqId: 'trace-4', statusCode: 500 }]);
  });

  it('runService: SIGUSR2 opens the window in a running service (no restart)', async () => {
    // Below the ephemeral range and refusing now (@sdl/testing): no test server takes it meanwhile.
    const port = await closedPort();
    const script = `
      import { runService, BaseConfigSchema, createApp } from '@sdl/server';
      await runService({ name: 'probe', schema: BaseConfigSchema,
        env: { PORT: '${port}', HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: '0' },
        build: async ({ logger, metrics, accessLog }) => {
          const app = createApp({ logger, metrics, accessLog });
          app.get('/things', async () => ({ ok: true }));
          return app;
        } });`;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd });
    const lines: Record<string, unknown>[] = [];
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) lines.push(JSON.parse(part) as Record<string, unknown>);
    });
    const get = async (id: string) => {
      const res = await request(`http://127.0.0.1:${port}/things`, { headers: { 'x-request-id': id } });
      await res.body.dump();
    };
    try {
      await vi.waitFor(() => expect(byMessage(lines, 'probe listening')).toHaveLength(1), { timeout: 20_000 });
      await get('before-signal');
      child.kill('SIGUSR2');
      await vi.waitFor(() => expect(byMessage(lines, 'access log: every request (SIGUSR2)')).toHaveLength(1), {
        timeout: 10_000,
      });
      await get('after-signal');
      await vi.waitFor(() => expect(byMessage(lines, 'request done')).toMatchObject([{ reqId: 'after-signal' }]));
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
