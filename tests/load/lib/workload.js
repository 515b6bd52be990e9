// The game-day workload for k6 (tests/load/*.js are generated and import it): operations drawn by
// weight on ids each tenant (API key) was given, as gameday/src/load/workload.ts draws them. Every
// POST carries an Idempotency-Key; each request is tagged with its route class (`read`, `write`,
// `seed` for setup) so the thresholds can name a class.
import http from 'k6/http';

const uuid = () =>
  'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(Math.random() * 16);
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// acc_ and 26 random Crockford base32 characters: the api's id shape, an id nobody created.
const missingAccountId = () => `acc_${Array.from({ length: 26 }, () => pick(CROCKFORD)).join('')}`;
// Zipf's law, s = 1 (gameday/src/load/workload.ts zipfRank): rank k drawn with weight 1 / (k + 1).
const zipfRank = (n) => {
  let harmonic = 0;
  for (let k = 1; k <= n; k++) harmonic += 1 / k;
  let r = Math.random() * harmonic;
  for (let k = 0; k < n; k++) if ((r -= 1 / (k + 1)) < 0) return k;
  return n - 1;
};
// Quorum store keys (kv.write, kv.read): a few per tenant, each written in setup so reads find it.
const KV_KEYS = ['k6-0', 'k6-1', 'k6-2', 'k6-3'];

/**
 * `{ baseUrl, keys, mix: [[operation, weight]...], seedAccounts, timeout }` -> `setup()` (accounts
 * with a post each, per key; its result is every VU's `tenants`) and `iteration(tenants)`.
 */
export function createWorkload({ baseUrl, keys, mix, seedAccounts, timeout }) {
  const total = mix.reduce((sum, [, w]) => sum + w, 0);
  // Accounts this VU made and has not subscribed yet (one plan per account).
  const unsubscribed = [];

  function send(method, key, path, body, routeClass, expected) {
    const headers = { 'x-api-key': key };
    if (method === 'POST') headers['idempotency-key'] = uuid();
    if (body !== undefined) headers['content-type'] = 'application/json';
    // One `name` per route, not per id, so k6's per-URL series stay few.
    const name = `${method} ${path.replace(/\/[A-Za-z]+_[0-9A-Za-z]+/g, '/:id')}`;
    const params = { headers, timeout, tags: { class: routeClass, name } };
    // A read of an id that does not exist expects 404: http_req_failed must not count it.
    if (expected !== undefined) params.responseCallback = http.expectedStatuses(expected);
    const res = http.request(method, baseUrl + path, body === undefined ? null : JSON.stringify(body), params);
    // A 2xx without a body (a view) is acknowledged too: res.json() would throw on it.
    if (res.status < 200 || res.status >= 300) return undefined;
    return res.body ? res.json() : {};
  }

  function setup() {
    const tenants = {};
    for (const key of keys) {
      const tenant = { accounts: [], posts: [] };
      for (let i = 0; i < seedAccounts; i++) {
        const account = send('POST', key, '/v1/accounts', { email: `k6-${uuid()}@load.test`, name: 'k6 seed' }, 'seed');
        if (account === undefined) throw new Error(`the cluster refused a seeding write for ${key}`);
        const id = String(account.id);
        tenant.accounts.push(id);
        const post = send('POST', key, `/v1/accounts/${id}/posts`, { title: 'seed', body: 'k6 seed' }, 'seed');
        if (post !== undefined) tenant.posts.push({ accountId: id, id: String(post.id) });
      }
      if (mix.some(([op]) => op.startsWith('kv.')))
        for (const kv of KV_KEYS)
          if (send('PUT', key, `/v1/kv/${kv}`, { value: 'k6 seed' }, 'seed') === undefined)
            throw new Error(`the cluster refused a seeding quorum write for ${key}`);
      tenants[key] = tenant;
    }
    return tenants;
  }

  function iteration(tenants) {
    let r = Math.random() * total;
    const op = (mix.find(([, w]) => (r -= w) < 0) || mix[mix.length - 1])[0];
    const key = pick(keys);
    const tenant = tenants[key];
    const post = pick(tenant.posts);
    switch (op) {
      case 'account.create': {
        const a = send('POST', key, '/v1/accounts', { email: `k6-${uuid()}@load.test`, name: 'k6' }, 'write');
        if (a !== undefined) unsubscribed.push({ key, id: String(a.id) });
        return;
      }
      case 'account.read':
        return void send('GET', key, `/v1/accounts/${pick(tenant.accounts)}`, undefined, 'read');
      case 'account.read.zipf':
        return void send(
          'GET',
          key,
          `/v1/accounts/${tenant.accounts[zipfRank(tenant.accounts.length)]}`,
          undefined,
          'read',
        );
      case 'account.read.missing':
        return void send('GET', key, `/v1/accounts/${missingAccountId()}`, undefined, 'read', 404);
      case 'account.read.hot':
        return void send('GET', key, `/v1/accounts/${tenant.accounts[0]}`, undefined, 'read');
      case 'post.create': {
        const body = { title: 'k6', body: 'k6 post' };
        return void send('POST', key, `/v1/accounts/${pick(tenant.accounts)}/posts`, body, 'write');
      }
      case 'post.read':
        return void send('GET', key, `/v1/accounts/${post.accountId}/posts/${post.id}`, undefined, 'read');
      case 'view':
        return void send('POST', key, `/v1/accounts/${post.accountId}/posts/${post.id}/views`, undefined, 'write');
      case 'subscription.create': {
        const mine = unsubscribed.pop();
        // Nothing of this VU's to subscribe yet: no request (the game day skips such a draw too).
        if (mine === undefined) return;
        return void send('POST', mine.key, `/v1/accounts/${mine.id}/subscriptions`, { plan: 'basic' }, 'write');
      }
      case 'kv.write':
        return void send('PUT', key, `/v1/kv/${pick(KV_KEYS)}`, { value: 'k6' }, 'write');
      case 'kv.read':
        return void send('GET', key, `/v1/kv/${pick(KV_KEYS)}`, undefined, 'read');
      default:
        throw new Error(`unknown operation ${op}`);
    }
  }

  /** The spike stream (load.spike): one key on one cheap route, answers tagged `spike`, judged apart. */
  function spike(key, path) {
    http.get(baseUrl + path, { headers: { 'x-api-key': key }, timeout, tags: { class: 'spike', name: `GET ${path}` } });
  }

  return { setup, iteration, spike };
}
