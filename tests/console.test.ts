import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from './support/http.js';
import { chaos, getInside, isRunning, labAsync, waitReady } from './support/lab.js';

// Debian's chromium (`./lab setup` installs it); no browser is downloaded (as gameday/test does).
const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
const screenshot = fileURLToPath(new URL('../docs/console.png', import.meta.url));
const DEFAULT_STRATEGY = 'round-robin';
// The game-day agent (`./lab console --gamedays`): a host process, as a user would start it.
const agentMain = fileURLToPath(new URL('../gameday/dist/agent/main.js', import.meta.url));
const tokenFile = fileURLToPath(new URL('../.lab/secrets/console-token', import.meta.url));
const AGENT = 'http://127.0.0.1:8091';

interface LbState {
  strategy: string;
}
interface BillingStatus {
  node: string;
  leader: boolean;
}

const lbShow = async () => JSON.parse(await labAsync(['lb', 'show'])) as LbState;

async function currentLeader(): Promise<string | undefined> {
  for (const replica of ['billing-leader-1', 'billing-leader-2']) {
    const status = (await getInside(replica, 3003, '/v1/status').catch(() => undefined)) as BillingStatus | undefined;
    if (status?.leader === true) return status.node;
  }
  return undefined;
}

function startAgent(): ChildProcess {
  return spawn(process.execPath, [agentMain], {
    env: { ...process.env, CONSOLE_TOKEN_FILE: tokenFile },
    stdio: 'inherit',
  });
}

/** Until this agent (not another one left on the port) answers the console's token. */
async function agentAnswers(agent: ChildProcess): Promise<void> {
  const token = readFileSync(tokenFile, 'utf8').trim();
  await vi.waitFor(
    async () => {
      expect(agent.exitCode, 'the game-day agent exited (is port 8091 taken?)').toBeNull();
      const res = await fetch(`${AGENT}/gamedays`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    },
    { timeout: 15_000, interval: 200 },
  );
}

const shardMap = async () => JSON.parse(await labAsync(['shard', 'map'], 60_000)) as { assignments: number[] };

describe('the lab console in a real browser', () => {
  let browser: Browser;
  let agent: ChildProcess | undefined;
  let page: Page;
  const errors: string[] = [];
  const health = (node: string) => page.getByTestId(`node-${node}`).getAttribute('data-health');

  beforeAll(async () => {
    agent = startAgent();
    await agentAnswers(agent);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(String(err)));
  });

  afterAll(async () => {
    await browser?.close();
    if (agent !== undefined && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent!.once('exit', resolve));
      agent.kill('SIGINT');
      await exited;
    }
    // Put back what the test changed: the default strategy, api-2 running.
    await labAsync(['lb', 'strategy', DEFAULT_STRATEGY, 'client']);
    if (!(await isRunning('api-2'))) {
      await chaos('start', 'api-2');
      await waitReady(['api-2']);
    }
  });

  it('refuses a request without the token with 401 CONSOLE_ERR_UNAUTHORIZED', async () => {
    const url = new URL((await labAsync(['console'])).trim());
    const res = await fetch(`${url.origin}/api/view`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'CONSOLE_ERR_UNAUTHORIZED' });
  });

  it('opens from the URL ./lab console prints, shows 3 healthy api nodes and the billing leader', async () => {
    const url = (await labAsync(['console'])).trim();
    await page.goto(url);
    expect(new URL(page.url()).search).toBe(''); // the token moved into a cookie
    await expect.poll(() => page.getByTestId('connection').innerText(), { timeout: 10_000 }).toBe('live');
    for (const node of ['api-1', 'api-2', 'api-3']) {
      await expect.poll(() => health(node), { timeout: 15_000 }).toBe('up');
      expect(await page.getByTestId(`node-${node}`).textContent()).toContain('UP');
    }
    const leader = await currentLeader();
    expect(leader).toBeDefined();
    await expect.poll(() => page.getByTestId('billing-leader').innerText(), { timeout: 15_000 }).toBe(leader);
    expect(await page.getByTestId('shard-grid').locator('.cell').count()).toBe(64);
    expect(errors).toEqual([]);
  });

  it("shows each entity's cache mode, the write-back backlog and the billing ledger's consumer lag", async () => {
    // Compose runs the defaults: accounts write-through, posts write-around, view counters write-back.
    const mode = (entity: string) => page.getByTestId(`cache-${entity}`).getAttribute('data-mode');
    await expect.poll(() => mode('account'), { timeout: 30_000 }).toBe('write-through');
    expect(await mode('post')).toBe('write-around');
    expect(await page.getByTestId('cache-account').innerText()).toContain(
      'write-through (writes update Redis and Postgres)',
    );
    await expect
      .poll(() => page.getByTestId('write-back').innerText(), { timeout: 30_000 })
      .toMatch(/post_views\s+\d+\s+\d+/);
    // A subscription's first charge puts events on billing.events, which every api node's member of
    // api-billing-ledger consumes: the group's row shows its lag once a member fetched them, 0 once done.
    const account = await call('POST', '/v1/accounts', { body: { email: 'lag@example.com', name: 'Lag' } });
    const id = String(account.body.id);
    const sub = await call('POST', `/v1/accounts/${id}/subscriptions`, { body: { plan: 'pro' } });
    expect(sub.status).toBe(201);
    try {
      const lag = page.getByTestId('lag-api-billing-ledger-billing.events');
      const cells = () => lag.locator('td').allInnerTexts();
      // Lag, worst partition, state (read at once: a later period's charge may make it BEHIND a moment).
      await expect
        .poll(async () => (await cells()).slice(3), { timeout: 60_000, interval: 500 })
        .toEqual(['0', '0', 'CAUGHT UP']);
      expect(Number((await cells())[2])).toBeGreaterThan(0); // partitions the group holds
    } finally {
      await call('POST', `/v1/accounts/${id}/subscriptions/${String(sub.body.id)}/cancel`);
    }
    expect(errors).toEqual([]);
  });

  it("shows the rate limiter's rules: policy, mode, fail mode, scope, admitted and limited", async () => {
    // The compose limiter runs on LIMITS: client-0 for the `limited` key, then `default` for everyone.
    const row = (rule: string) => page.getByTestId(`limiter-rule-${rule}`);
    await expect.poll(() => row('default').innerText(), { timeout: 10_000 }).toContain('fixed-window 1000 / 1 s');
    const cells = await row('default').locator('td').allInnerTexts();
    expect(cells.slice(0, 5)).toEqual([
      'default',
      'fixed-window 1000 / 1 s',
      'ENFORCE',
      'fail-open (default)',
      'every request; per client',
    ]);
    expect(cells[5]).toMatch(/^\d+\.\d\d$/);
    expect(cells[6]).toMatch(/^\d+\.\d\d$/);
    expect(await row('client-0').innerText()).toContain('client limited; per client');
    expect(await page.getByTestId('limiter-summary').innerText()).toContain('2 rules from LIMITS');
    expect(errors).toEqual([]);
  });

  it('shows the SLOs per route class with the error budget left, from the rules made of infra/slo/slos.yaml', async () => {
    const row = (slo: string, sli: string) => page.getByTestId(`slo-${slo}-${sli}`);
    // The rows come from Prometheus's recording rules (slo:objective:ratio) through the console's
    // poller. Those rules were in a 1 m group, first evaluated up to a minute after Prometheus started,
    // and this file runs first on a fresh cluster (CI timed out once); they are evaluated every 5 s now.
    await expect.poll(() => row('all', 'availability').count(), { timeout: 30_000 }).toBe(1);
    for (const slo of ['all', 'read', 'write']) {
      for (const sli of ['availability', 'latency']) {
        const cells = await row(slo, sli).locator('td').allInnerTexts();
        expect(cells[1]).toBe(sli);
        expect(cells[2]).toMatch(sli === 'availability' ? /^99\.9 % not 5xx$/ : /^99 % within the p99 bound$/);
        expect(cells[7]).toMatch(/^(OK|NO DATA|BUDGET SPENT|BURNING \(.+ alert firing\))$/);
      }
    }
    expect(errors).toEqual([]);
  });

  it('shows api-2 DOWN within seconds of a kill, and UP again once it is back', async () => {
    await chaos('kill', 'api-2');
    await expect.poll(() => health('api-2'), { timeout: 15_000, interval: 250 }).toBe('down');
    expect(await page.getByTestId('node-api-2').textContent()).toContain('DOWN');
    // The lb shows it unhealthy, or has dropped it once its etcd registration expired: never healthy.
    expect(await page.locator('[data-testid="host-api-2"][data-state="healthy"]').count()).toBe(0);
    await chaos('start', 'api-2');
    await waitReady(['api-2']);
    await expect.poll(() => health('api-2'), { timeout: 30_000 }).toBe('up');
  });

  it('switches the lb strategy from the page (confirmed), the lb agrees, and the ring is drawn', async () => {
    await page.getByTestId('strategy-select').selectOption('maglev');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('strategy-apply').click();
    await expect.poll(async () => (await lbShow()).strategy, { timeout: 10_000 }).toBe('maglev');
    await expect.poll(() => page.getByTestId('lb-strategy').innerText(), { timeout: 10_000 }).toBe('maglev');
    await expect
      .poll(() => page.getByTestId('ring').locator('path.arc').count(), { timeout: 10_000 })
      .toBeGreaterThan(3);
    await expect.poll(() => page.getByTestId('actions').innerText()).toContain('lb strategy maglev');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('moves a partition from the page (confirmed): an api node runs it, the panel shows it done, the grid the new shard', async () => {
    const partition = (await shardMap()).assignments.findIndex((shard) => shard === 0);
    await page.getByTestId('move-partition').fill(String(partition));
    await page.getByTestId('move-shard').fill('1');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('move-apply').click();
    const row = page.getByTestId(`move-${partition}`).first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000, interval: 250 }).toBe('done');
    expect(await row.innerText()).toMatch(/0 → 1\s+DONE\s+api-\d\s+writes held \d+ ms/);
    await expect
      .poll(() => page.getByTestId('shard-grid').locator('.cell').nth(partition).innerText(), { timeout: 15_000 })
      .toBe(`${partition}:1`);
    expect((await shardMap()).assignments[partition]).toBe(1);
    await expect
      .poll(() => page.getByTestId('actions').innerText())
      .toContain(`move partition ${partition} to shard 1`);
    // Back where it was, with the CLI's same move.
    await labAsync(['shard', 'move', String(partition), '0'], 120_000);
    expect((await shardMap()).assignments[partition]).toBe(0);
    expect(errors).toEqual([]);
  }, 180_000);

  it('runs a game day from the page through the host agent: progress, verdict and its report', async () => {
    await expect
      .poll(() => page.getByTestId('gameday-agent').innerText(), { timeout: 10_000 })
      .toMatch(/^Game-day agent at http:\/\/127\.0\.0\.1:8091: \d+ experiments\.$/);
    // limiter-spike injects no fault: a load spike on one key, judged by its oracles.
    await page.getByTestId('gameday-select').selectOption('limiter-spike');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('gameday-start').click();
    const verdict = page.getByTestId('gameday-verdict');
    await expect.poll(() => verdict.getAttribute('data-state'), { timeout: 10_000 }).toBe('running');
    await expect.poll(() => page.locator('#gameday-lines').innerText(), { timeout: 30_000 }).toMatch(/rate \d+\/s/);
    await expect.poll(() => verdict.getAttribute('data-state'), { timeout: 150_000, interval: 1000 }).toBe('held');
    const href = await page.locator('#gameday-state a').getAttribute('href');
    expect(href).toMatch(/^http:\/\/127\.0\.0\.1:8091\/reports\/[^/]+-limiter-spike\/report\.html$/);
    // The report opens with the page's own cookie (same host, the agent's port).
    const report = await page.context().request.get(href!);
    expect(report.status()).toBe(200);
    expect(await report.text()).toContain('limiter-spike');
    expect(errors).toEqual([]);
  }, 200_000);

  it('fits a narrow window: nothing wider than the viewport', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await expect.poll(() => page.getByTestId('topology').isVisible()).toBe(true);
  });
});
