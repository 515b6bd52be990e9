import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAgentServer } from '../src/agent/agent-server.js';
import { GameRuns, type GameRun } from '../src/agent/game-runs.js';

const TOKEN = 'console-token-for-the-agent-test';
const CONSOLE = 'http://127.0.0.1:8090';
const experimentsDir = fileURLToPath(new URL('../experiments/', import.meta.url));

// Stands in for gameday/dist/cli.js: prints what the CLI prints and exits with its verdict's code.
// A run named limiter-spike waits for SIGINT (the stop test) and then "runs its rollbacks".
const FAKE_CLI = `
const [name] = process.argv.slice(1);
const reports = process.env.REPORTS;
console.log('game day ' + name + ' (baseline): 30 s against http://127.0.0.1:8080');
console.log('   1/30 s  rate 20/s  ok 100.00 %');
if (name === 'limiter-spike') {
  process.on('SIGINT', () => { console.log('rollbacks done'); process.exit(2); });
  setInterval(() => {}, 1000);
} else {
  console.log('  FAIL    all: 10/20 ok');
  console.log('hypothesis not held; report: ' + reports + '/2026-12-03T07-00-00Z-' + name + '/report.html');
  process.exitCode = 1;
}`;

describe('the game-day agent (the console starts game days through it)', () => {
  let reports: string;
  let base: string;
  let server: ReturnType<typeof createAgentServer>;
  const spawned: string[][] = [];

  beforeAll(async () => {
    reports = mkdtempSync(join(tmpdir(), 'sdl-agent-'));
    mkdirSync(join(reports, '2026-12-03T07-00-00Z-api-node-kill'));
    writeFileSync(join(reports, '2026-12-03T07-00-00Z-api-node-kill', 'report.html'), '<h1>api-node-kill</h1>');
    const runs = new GameRuns((args) => {
      spawned.push([...args]);
      return spawn(process.execPath, ['-e', FAKE_CLI, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, REPORTS: reports },
      });
    });
    server = createAgentServer({ token: TOKEN, experimentsDir, reportsDir: reports, runs, origins: [CONSOLE] });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(reports, { recursive: true, force: true });
  });

  const call = (path: string, init: RequestInit = {}, token = TOKEN) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const start = (body: unknown) =>
    call('/gamedays', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const latest = async (): Promise<GameRun> => ((await (await call('/gamedays')).json()) as { run: GameRun }).run;

  it('answers only the console token', async () => {
    expect((await fetch(`${base}/gamedays`)).status).toBe(401);
    const wrong = await call('/gamedays', {}, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'AGENT_ERR_UNAUTHORIZED' });
  });

  it("takes the console's cookie, which the page on the console's host sends along", async () => {
    const listed = await fetch(`${base}/gamedays`, { headers: { cookie: `other=1; sdl_console_token=${TOKEN}` } });
    expect(listed.status).toBe(200);
    expect((await fetch(`${base}/gamedays`, { headers: { cookie: 'sdl_console_token=stolen' } })).status).toBe(401);
  });

  it('lists the experiments with their titles, before any run', async () => {
    const listed = (await (await call('/gamedays')).json()) as {
      experiments: { name: string; short: boolean }[];
      run: null;
    };
    expect(listed.run).toBeNull();
    expect(listed.experiments).toContainEqual(expect.objectContaining({ name: 'api-node-kill', short: true }));
    expect(listed.experiments.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses what it cannot run with a stable code, and starts nothing', async () => {
    expect(await (await start({ name: '../etc', short: true })).json()).toMatchObject({ code: 'AGENT_ERR_VALIDATION' });
    expect(await (await start({ name: 'api-node-kill', rm: true })).json()).toMatchObject({
      code: 'AGENT_ERR_VALIDATION',
    });
    expect((await start({ name: 'no-such-experiment' })).status).toBe(404);
    const malformed = await call('/gamedays', {
      method: 'POST',
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(await malformed.json()).toMatchObject({ code: 'AGENT_ERR_MALFORMED_JSON' });
    expect(spawned).toEqual([]);
  });

  it('runs one game day at a time, keeps its lines and verdict, and serves its report', async () => {
    const started = await start({ name: 'api-node-kill', short: true });
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ id: 1, name: 'api-node-kill', short: true, state: 'running' });
    expect(spawned.at(-1)).toEqual(['api-node-kill', '--short']);
    await vi.waitFor(async () => expect((await latest()).state).toBe('not-held'), { timeout: 10_000 });
    const run = await latest();
    expect(run.lines).toContain('  FAIL    all: 10/20 ok');
    expect(run.report).toBe('2026-12-03T07-00-00Z-api-node-kill');

    const report = await fetch(`${base}/reports/${run.report}/report.html?token=${TOKEN}`);
    expect(report.headers.get('content-type')).toMatch(/text\/html/);
    expect(await report.text()).toBe('<h1>api-node-kill</h1>');
    expect((await call(`/reports/${run.report}/..%2F..%2Fetc`)).status).toBe(400);
    expect((await call(`/reports/${run.report}/missing.html`)).status).toBe(404);
  });

  it('refuses a second game day while one runs, and stops the running one with SIGINT', async () => {
    expect((await start({ name: 'limiter-spike', short: false })).status).toBe(202);
    expect(spawned.at(-1)).toEqual(['limiter-spike']);
    await vi.waitFor(async () => expect((await latest()).lines.length).toBeGreaterThan(1), { timeout: 10_000 });
    expect(await (await start({ name: 'api-node-kill' })).json()).toMatchObject({ code: 'AGENT_ERR_RUNNING' });
    expect((await call('/gamedays/stop', { method: 'POST' })).status).toBe(202);
    await vi.waitFor(async () => expect((await latest()).state).toBe('stopped'), { timeout: 10_000 });
    expect((await latest()).lines).toContain('rollbacks done');
    expect(await (await call('/gamedays/stop', { method: 'POST' })).json()).toMatchObject({
      code: 'AGENT_ERR_NOT_RUNNING',
    });
  });

  it("lets only the console's page call it from a browser (CORS)", async () => {
    const preflight = await fetch(`${base}/gamedays`, { method: 'OPTIONS', headers: { origin: CONSOLE } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const stranger = await fetch(`${base}/gamedays`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});
