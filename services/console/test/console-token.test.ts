import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@sdl/config';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cookieValue, TOKEN_COOKIE } from '../src/auth/console-token.js';
import { ConsoleConfigSchema } from '../src/config.js';
import { buildTestConsole, TOKEN } from './support/helpers.js';

describe('console token', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each([
    ['no token', {}],
    ['a wrong bearer token', { authorization: 'Bearer not-the-token-at-all' }],
    ['a wrong cookie', { cookie: `${TOKEN_COOKIE}=nope` }],
    ['a bearer token differing in one character', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }],
  ])('answers 401 CONSOLE_ERR_UNAUTHORIZED to %s, on the page, the events and the actions', async (_name, headers) => {
    app = (await buildTestConsole()).app;
    for (const [method, url] of [
      ['GET', '/'],
      ['GET', '/events'],
      ['GET', '/api/view'],
      ['GET', '/static/console.js'],
      ['POST', '/api/lb/strategy'],
    ] as const) {
      const res = await app.inject({ method, url, headers });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json()).toMatchObject({ code: 'CONSOLE_ERR_UNAUTHORIZED' });
    }
    const wrongQuery = await app.inject({ method: 'GET', url: '/?token=wrong' });
    expect(wrongQuery.statusCode).toBe(401);
  });

  it('leaves the probes and /metrics open (healthcheck and Prometheus have no token)', async () => {
    app = (await buildTestConsole()).app;
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('moves a token from the URL into an HttpOnly SameSite=Strict cookie, and the cookie opens the page', async () => {
    app = (await buildTestConsole()).app;
    const first = await app.inject({ method: 'GET', url: `/?token=${TOKEN}` });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect(cookieValue(cookie, TOKEN_COOKIE)).toBe(TOKEN);

    const page = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.body).toContain('id="initial-view"');
    const bearer = await app.inject({
      method: 'GET',
      url: '/static/console.css',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.statusCode).toBe(200);
  });

  it('reads the token from CONSOLE_TOKEN_FILE (a Compose secret) and refuses a short one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdl-console-'));
    try {
      await writeFile(join(dir, 'token'), `${TOKEN}\n`);
      expect(loadConfig(ConsoleConfigSchema, { CONSOLE_TOKEN_FILE: join(dir, 'token') }).consoleToken).toBe(TOKEN);
      expect(() => loadConfig(ConsoleConfigSchema, { CONSOLE_TOKEN: 'short' })).toThrow(/CONSOLE_TOKEN/);
      expect(() => loadConfig(ConsoleConfigSchema, {})).toThrow(/CONSOLE_TOKEN/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
