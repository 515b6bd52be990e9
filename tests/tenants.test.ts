import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, OTHER_KEY, type CallResult } from './support/http.js';
import { execIn } from './support/lab.js';

/** A GET from inside a container to a port nothing publishes: a caller that bypasses the gateway. */
async function bypassing(service: string, url: string): Promise<{ status: number; text: string }> {
  const script = `fetch('${url}').then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))`;
  return JSON.parse(await execIn(service, ['node', '-e', script], 20_000)) as { status: number; text: string };
}

type Ids = { id: string; accountId: string; postId: string; subscriptionId: string };

// Valid bodies, so that every request passes validation and meets the owner check (a new
// account-scoped route with a body needs its line here).
const BODIES: Record<string, unknown> = {
  'PATCH /v1/accounts/{id}': { name: 'Mallory' },
  'POST /v1/accounts/{accountId}/posts': { title: 'stolen', body: 'x' },
  'POST /v1/accounts/{accountId}/subscriptions': { plan: 'basic' },
};

// OWASP API1 through the whole path (gateway -> lb -> api): tenant `other` sweeps every
// account-scoped route and method of the api's OpenAPI document over tenant `demo`'s ids.
describe('tenants through the gateway', () => {
  const ids: Ids = { id: '', accountId: '', postId: '', subscriptionId: '' };

  /** What `demo` sees of its own data (the reads a sweep must not change). */
  const view = async () => {
    const account = await call('GET', `/v1/accounts/${ids.id}`);
    const posts = await call('GET', `/v1/accounts/${ids.id}/posts`);
    const sub = await call('GET', `/v1/accounts/${ids.id}/subscriptions/${ids.subscriptionId}`);
    const views = await call('GET', `/v1/accounts/${ids.id}/posts/${ids.postId}/views`);
    return {
      account: account.body,
      posts: posts.body,
      status: sub.body.status,
      plan: sub.body.plan,
      views: views.body,
    };
  };

  beforeAll(async () => {
    const account = await call('POST', '/v1/accounts', { body: { email: 'dana@demo.test', name: 'Dana' } });
    expect(account.status).toBe(201);
    ids.id = ids.accountId = String(account.body.id);
    const post = await call('POST', `/v1/accounts/${ids.id}/posts`, { body: { title: 'Demo only', body: 'd' } });
    const sub = await call('POST', `/v1/accounts/${ids.id}/subscriptions`, { body: { plan: 'basic' } });
    expect([post.status, sub.status]).toEqual([201, 201]);
    ids.postId = String(post.body.id);
    ids.subscriptionId = String(sub.body.id);
  });

  afterAll(async () => {
    // Billing charges an active subscription every period for as long as the cluster runs.
    if (ids.subscriptionId !== '') {
      await call('POST', `/v1/accounts/${ids.id}/subscriptions/${ids.subscriptionId}/cancel`);
    }
  });

  it('answers every route and method with 404 and none of the owner data; the owner sees no change', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    const routes = Object.entries(paths)
      .filter(([path]) => path.startsWith('/v1/accounts/{'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const before = await view();
    expect(before.account).toMatchObject({ tenant: 'demo', name: 'Dana' });

    const answers: { route: string; res: CallResult }[] = [];
    for (const { method, path } of routes) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: keyof Ids) => ids[name]);
      const body = BODIES[`${method} ${path}`];
      answers.push({
        route: `${method} ${path}`,
        res: await call(method, url, { key: OTHER_KEY, ...(body === undefined ? {} : { body }) }),
      });
    }
    const not404 = answers.filter((a) => a.res.status !== 404).map((a) => `${a.route} -> ${a.res.status}`);
    expect(not404).toEqual([]);
    for (const { route, res } of answers) {
      expect(res.body.code, route).toBe('API_ERR_ACCOUNT_NOT_FOUND');
      for (const owned of ['dana@demo.test', 'Dana', 'Demo only', ids.postId, ids.subscriptionId, '"demo"']) {
        expect(res.text, route).not.toContain(owned);
      }
    }
    expect(await view()).toEqual(before);
  });

  it('refuses requests that bypass the gateway (no shared secret), at the api and through the lb', async () => {
    const direct = await bypassing('api-1', `http://127.0.0.1:3000/v1/accounts/${ids.id}`);
    expect(direct.status).toBe(401);
    expect(JSON.parse(direct.text)).toMatchObject({ code: 'API_ERR_NOT_FROM_GATEWAY' });
    const viaLb = await bypassing('gateway', 'http://lb:8081/v1/whoami');
    expect(viaLb.status).toBe(401);
    expect(viaLb.text).not.toContain('dana@demo.test');
  });
});
