import { describe, expect, it, vi } from 'vitest';
import { call } from './support/http.js';

// The v1 domain through the whole path (gateway -> lb -> any api node -> the account's shard):
// whichever node answers, child entities stay on their account's shard.
describe('posts, view counters and subscriptions through the cluster', () => {
  it('pages an account’s posts with a cursor, all on the account’s shard', async () => {
    const account = await call('POST', '/v1/accounts', { body: { email: 'pat@example.com', name: 'Pat' } });
    expect(account.status).toBe(201);
    const id = String(account.body.id);
    const shard = account.headers.get('x-shard');
    const titles = ['first', 'second', 'third'];
    for (const title of titles) {
      const post = await call('POST', `/v1/accounts/${id}/posts`, { body: { title, body: `${title} body` } });
      expect(post.status).toBe(201);
      expect(post.headers.get('x-shard')).toBe(shard);
    }
    const page1 = await call('GET', `/v1/accounts/${id}/posts?limit=2`);
    expect(page1.status).toBe(200);
    const items1 = page1.body.items as { title: string }[];
    expect(items1.map((p) => p.title)).toEqual(['third', 'second']);
    const cursor = String(page1.body.nextCursor);
    const page2 = await call('GET', `/v1/accounts/${id}/posts?limit=2&cursor=${encodeURIComponent(cursor)}`);
    expect((page2.body.items as { title: string }[]).map((p) => p.title)).toEqual(['first']);
    expect(page2.body.nextCursor).toBeNull();

    const bad = await call('GET', `/v1/accounts/${id}/posts?cursor=${encodeURIComponent("' OR 1=1 --")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('API_ERR_INVALID_CURSOR');
  });

  it('counts views written back through Redis, whichever node takes each increment', async () => {
    const account = await call('POST', '/v1/accounts', { body: { email: 'vic@example.com', name: 'Vic' } });
    const id = String(account.body.id);
    const post = await call('POST', `/v1/accounts/${id}/posts`, { body: { title: 'hot', body: '' } });
    const postId = String(post.body.id);
    for (let i = 0; i < 9; i++) {
      expect((await call('POST', `/v1/accounts/${id}/posts/${postId}/views`)).status).toBe(204);
    }
    await vi.waitFor(
      async () => {
        const views = await call('GET', `/v1/accounts/${id}/posts/${postId}/views`);
        expect(views.body).toEqual({ postId, views: 9 });
      },
      { timeout: 15_000, interval: 500 },
    );
  });

  it('subscribes to a plan once; the billing leader charges its first period at once (x-fence); cancels it', async () => {
    const account = await call('POST', '/v1/accounts', { body: { email: 'sue@example.com', name: 'Sue' } });
    const id = String(account.body.id);
    expect((await call('POST', `/v1/accounts/${id}/subscriptions`, { body: { plan: 'gold-plated' } })).status).toBe(
      422,
    );
    const sub = await call('POST', `/v1/accounts/${id}/subscriptions`, { body: { plan: 'pro' } });
    expect(sub.status).toBe(201);
    const again = await call('POST', `/v1/accounts/${id}/subscriptions`, { body: { plan: 'basic' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('API_ERR_SUBSCRIPTION_EXISTS');
    const subId = String(sub.body.id);

    // The first period is due at creation: the leader charges it on its next tick, with the provider.
    let charges = await call('GET', `/v1/accounts/${id}/subscriptions/${subId}/charges`);
    await vi.waitFor(
      async () => {
        charges = await call('GET', `/v1/accounts/${id}/subscriptions/${subId}/charges`);
        expect(charges.status).toBe(200);
        expect((charges.body.items as { status: string }[])[0]?.status).toBe('succeeded');
      },
      { timeout: 30_000, interval: 500 },
    );
    const [first] = charges.body.items as Record<string, unknown>[];
    expect(first).toMatchObject({ subscriptionId: subId, periodStart: sub.body.nextBillingAt, amountCents: 1500 });
    expect(String(first!.providerChargeId)).toMatch(/^ch_/);
    expect(String(first!.idempotencyKey)).toMatch(new RegExp(`^sub:${subId}:`));
    expect(charges.headers.get('x-fence')).toMatch(/^[1-9]\d*$/);
    // The charge events reach the api's billing ledger projection through Kafka.
    await vi.waitFor(
      async () => {
        const ledger = await call('GET', `/v1/accounts/${id}/billing`);
        expect(ledger.body).toMatchObject({ accountId: id, chargesSucceeded: expect.any(Number) });
        expect(ledger.body.chargedCents).toBeGreaterThanOrEqual(1500);
      },
      { timeout: 30_000, interval: 500 },
    );

    expect((await call('POST', `/v1/accounts/${id}/subscriptions/${subId}/cancel`)).status).toBe(200);
  });

  it('serves its OpenAPI document through the gateway', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(String(doc.body.openapi)).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths as object)).toContain('/v1/accounts/{accountId}/posts');
  });
});

describe('read-your-writes on the streaming replicas', () => {
  it('serves a list from the replica once it has replayed the caller’s write, and the write is in it', async () => {
    const account = await call('POST', '/v1/accounts', { body: { email: 'rey@example.com', name: 'Rey' } });
    const id = String(account.body.id);
    const post = await call('POST', `/v1/accounts/${id}/posts`, { body: { title: 'fresh', body: '' } });
    const token = post.headers.get('x-read-token');
    expect(token).toMatch(/^\d+:[0-9A-F]+\/[0-9A-F]+$/);
    // With the token, a read goes to the replica only when it has replayed the write: whichever
    // side serves it, the new post is there; and the replica catches up within moments.
    await vi.waitFor(
      async () => {
        const list = await call('GET', `/v1/accounts/${id}/posts`, { headers: { 'x-read-token': token! } });
        expect(list.status).toBe(200);
        expect((list.body.items as { id: string }[]).map((p) => p.id)).toContain(post.body.id);
        expect(list.headers.get('x-read-from')).toBe('replica');
      },
      { timeout: 15_000, interval: 250 },
    );
  });
});
