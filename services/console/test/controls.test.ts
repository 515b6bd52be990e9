import { buildApp as buildPayments, PaymentsConfigSchema } from '@sdl/payments';
import { closedPort, createTestAppBuilder } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestConsole, startFakeAdmin, TOKEN } from './support/helpers.js';

const auth = { authorization: `Bearer ${TOKEN}` };
const lbState = { strategy: 'round-robin', hashKey: 'client', panicking: false, hosts: [] };

const buildProvider = createTestAppBuilder({
  name: 'payments',
  schema: PaymentsConfigSchema,
  build: buildPayments,
  env: { ADMIN_PORT: '0', HOST: '127.0.0.1' },
});

describe('console actions call the lab admin APIs', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function consoleWith(env: Record<string, string>): Promise<FastifyInstance> {
    const { app } = await buildTestConsole(env);
    cleanups.push(() => app.close());
    return app;
  }

  it('switches the lb strategy through PUT /admin/lb/strategy and logs the action in the view', async () => {
    const lb = await startFakeAdmin(lbState);
    cleanups.push(lb.close);
    const app = await consoleWith({ LB_ADMIN_URL: lb.url });
    const res = await app.inject({
      method: 'POST',
      url: '/api/lb/strategy',
      headers: auth,
      payload: { strategy: 'maglev', hashKey: 'header:x-account-id' },
    });
    expect(res.statusCode).toBe(200);
    expect(lb.seen.at(-1)).toEqual({
      method: 'PUT',
      url: '/admin/lb/strategy',
      body: { strategy: 'maglev', hashKey: 'header:x-account-id' },
    });
    const view = (await app.inject({ method: 'GET', url: '/api/view', headers: auth })).json<{
      actions: { action: string; ok: boolean }[];
      lb: { strategy: string };
    }>();
    expect(view.actions[0]).toMatchObject({ action: 'lb strategy maglev header:x-account-id', ok: true });
    expect(view.lb.strategy).toBe('round-robin');
  });

  it("passes the lb's refusal back as 502 CONSOLE_ERR_UPSTREAM with the lb's own answer", async () => {
    const lb = await startFakeAdmin(lbState);
    cleanups.push(lb.close);
    lb.answerWith(400, { code: 'LB_ERR_UNKNOWN_STRATEGY' });
    const app = await consoleWith({ LB_ADMIN_URL: lb.url });
    const res = await app.inject({
      method: 'POST',
      url: '/api/lb/strategy',
      headers: auth,
      payload: { strategy: 'nope' },
    });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({
      code: 'CONSOLE_ERR_UPSTREAM',
      details: { status: 400, answer: { code: 'LB_ERR_UNKNOWN_STRATEGY' } },
    });
  });

  it.each([
    ['/api/lb/strategy', { strategy: 'maglev', extra: 1 }],
    ['/api/lb/strategy', {}],
    ['/api/payments/faults', { failRate: 2 }],
    ['/api/payments/faults', {}],
  ])('rejects a bad body on %s with 400 ERR_VALIDATION before calling anything', async (url, payload) => {
    const app = await consoleWith({});
    const res = await app.inject({ method: 'POST', url, headers: auth, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('sets and resets the fault flags of a real payments provider (its admin app)', async () => {
    const provider = await buildProvider();
    cleanups.push(() => provider.app.close());
    const admin = await provider.app.payments.listenAdmin();
    const app = await consoleWith({ PAYMENTS_ADMIN_URL: `http://127.0.0.1:${admin.port}` });
    const set = await app.inject({
      method: 'POST',
      url: '/api/payments/faults',
      headers: auth,
      payload: { failRate: 0.5 },
    });
    expect(set.statusCode).toBe(200);
    expect(provider.app.payments.faults.flags().failRate).toBe(0.5);
    const reset = await app.inject({ method: 'DELETE', url: '/api/payments/faults', headers: auth });
    expect(reset.statusCode).toBe(200);
    expect(provider.app.payments.faults.flags().failRate).toBe(0);
  });

  it('pushes views over Server-Sent Events while a page listens', async () => {
    const lb = await startFakeAdmin({ ...lbState, strategy: 'maglev' });
    cleanups.push(lb.close);
    const { app, listen } = await buildTestConsole({ LB_ADMIN_URL: lb.url });
    cleanups.push(() => app.close());
    const base = await listen();
    const controller = new AbortController();
    const res = await fetch(`${base}/events`, { headers: auth, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let views = 0;
    while (views < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      views = text.split('event: view\n').length - 1;
    }
    // Closing the console ends the stream (a browser left open does not hold the shutdown).
    await app.close();
    expect((await reader.read()).done).toBe(true);
    controller.abort();
    const first = text.split('event: view\ndata: ')[1]!.split('\n')[0]!;
    expect(JSON.parse(first)).toMatchObject({ lb: { ok: true, strategy: 'maglev' } });
    expect(views).toBe(2);
  });

  it('moves a partition through the first api admin listener that answers, skipping one that is down', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const api = await startFakeAdmin({ moves: [] });
    cleanups.push(api.close);
    api.answerWith(202, { id: 1, partition: 5, from: 0, to: 1, state: 'running' });
    const app = await consoleWith({ API_ADMIN_URLS: `${down},${api.url}` });
    const res = await app.inject({
      method: 'POST',
      url: '/api/partition-moves',
      headers: auth,
      payload: { partition: 5, toShard: 1 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 1, state: 'running' });
    expect(api.seen.filter((r) => r.method === 'POST')).toEqual([
      { method: 'POST', url: '/admin/partition-moves', body: { partition: 5, toShard: 1 } },
    ]);
    const view = (await app.inject({ method: 'GET', url: '/api/view', headers: auth })).json<{
      actions: { action: string; ok: boolean }[];
    }>();
    expect(view.actions[0]).toMatchObject({ action: 'move partition 5 to shard 1', ok: true });
  });

  it("passes an api node's refusal back (502 with its answer) without asking the next node", async () => {
    const [first, second] = [await startFakeAdmin({ moves: [] }), await startFakeAdmin({ moves: [] })];
    cleanups.push(first.close, second.close);
    first.answerWith(409, { code: 'API_ERR_MOVE_IN_PROGRESS' });
    const app = await consoleWith({ API_ADMIN_URLS: `${first.url},${second.url}` });
    const res = await app.inject({
      method: 'POST',
      url: '/api/partition-moves',
      headers: auth,
      payload: { partition: 5, toShard: 1 },
    });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({
      code: 'CONSOLE_ERR_UPSTREAM',
      details: { status: 409, answer: { code: 'API_ERR_MOVE_IN_PROGRESS' } },
    });
    expect(second.seen.filter((r) => r.method === 'POST')).toEqual([]);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/partition-moves',
      headers: auth,
      payload: { partition: -1, toShard: 'one' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'ERR_VALIDATION' });
  });
});
