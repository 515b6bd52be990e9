import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleView } from '../src/view/view-model.js';
import { buildTestConsole, startFakeAdmin, TOKEN } from './support/helpers.js';

const auth = { authorization: `Bearer ${TOKEN}` };
const status = (node: string, leader: boolean, token: string | null) => ({
  node,
  leader,
  leaderNode: leader ? node : null,
  token,
  since: leader ? '2026-12-02T23:00:00.000Z' : null,
});

describe('the poller remembers what no single read shows', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps the leaders seen with their fencing tokens, newest first, across a failover', async () => {
    const one = await startFakeAdmin(status('billing-leader-1', true, '7'));
    const two = await startFakeAdmin(status('billing-leader-2', false, null));
    cleanups.push(one.close, two.close);
    const { app } = await buildTestConsole({ BILLING_URLS: `${one.url},${two.url}` });
    cleanups.push(() => app.close());
    const view = async (a: FastifyInstance) =>
      (await a.inject({ method: 'GET', url: '/api/view', headers: auth })).json<ConsoleView>();
    // /api/view answers the last view; the poller reads afresh on each call until a page listens.
    await app.consolePoller.read();
    expect((await view(app)).billing.leader).toMatchObject({ node: 'billing-leader-1', token: '7' });

    one.setState(status('billing-leader-1', false, null));
    two.setState(status('billing-leader-2', true, '8'));
    await app.consolePoller.read();
    const after = await view(app);
    expect(after.billing.leader).toMatchObject({ node: 'billing-leader-2', token: '8' });
    expect(after.billing.history.map((t) => `${t.node}:${t.token}`)).toEqual([
      'billing-leader-2:8',
      'billing-leader-1:7',
    ]);
    await app.consolePoller.read();
    expect((await view(app)).billing.history).toHaveLength(2);
  });
});
