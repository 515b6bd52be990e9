import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedPort, createTestAppBuilder } from '@sdl/testing';
import { buildApp } from '../../src/app.js';
import { ConsoleConfigSchema } from '../../src/config.js';

export const TOKEN = 'test-console-token-0123456789';

/** The console as main.ts builds it (silent, not listening), every source on a closed port unless set. */
export async function buildTestConsole(env: Record<string, string> = {}) {
  const nowhere = `http://127.0.0.1:${await closedPort()}`;
  const build = createTestAppBuilder({
    name: 'console',
    schema: ConsoleConfigSchema,
    build: buildApp,
    env: {
      CONSOLE_TOKEN: TOKEN,
      LB_ADMIN_URL: nowhere,
      BILLING_URLS: nowhere,
      PAYMENTS_ADMIN_URL: nowhere,
      API_ADMIN_URLS: nowhere,
      PROMETHEUS_URL: nowhere,
      POLL_MS: '100',
    },
  });
  return build(env);
}

/** One request a stand-in admin API saw. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
}

/**
 * A stand-in for a JSON admin API (the lb's: the real lb starts from its main module; a billing
 * replica's status): answers every GET with `state` (replaceable), anything else with `answer`.
 */
export async function startFakeAdmin(initial: unknown) {
  const seen: SeenRequest[] = [];
  let state = initial;
  let answer: { status: number; body: unknown } = { status: 200, body: state };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: raw === '' ? undefined : JSON.parse(raw) });
      const out = req.method === 'GET' ? { status: 200, body: state } : answer;
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answerWith(status: number, body: unknown) {
      answer = { status, body };
    },
    setState(next: unknown) {
      state = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
