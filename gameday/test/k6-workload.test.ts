import { describe, expect, it, vi } from 'vitest';

interface Sent {
  method: string;
  url: string;
  body: string | null;
  params: { headers: Record<string, string>; tags: { class: string; name: string } };
}
const sent: Sent[] = [];
let nextId = 0;

// k6's http module, answering as the API would (201 with an id for creates, 204 for a view, 200 for reads).
vi.mock('k6/http', () => ({
  default: {
    request: (method: string, url: string, body: string | null, params: Sent['params']) => {
      sent.push({ method, url, body, params });
      const view = url.endsWith('/views');
      const answer = method === 'POST' && !view ? { id: `acc_${++nextId}` } : view ? undefined : { ok: true };
      return {
        status: view ? 204 : method === 'POST' ? 201 : 200,
        body: answer && JSON.stringify(answer),
        json: () => answer,
      };
    },
  },
}));

// @ts-expect-error: a plain k6 module, no types
const { createWorkload } = (await import('../../tests/load/lib/workload.js')) as {
  createWorkload: (o: object) => {
    setup: () => Record<string, { accounts: string[] }>;
    iteration: (t: unknown) => void;
  };
};

describe('the k6 workload (tests/load/lib/workload.js, with a stand-in k6/http)', () => {
  const workload = createWorkload({
    baseUrl: 'http://gw',
    keys: ['k1', 'k2'],
    mix: [
      ['account.create', 1],
      ['account.read', 1],
      ['post.read', 1],
      ['view', 1],
      ['subscription.create', 1],
    ],
    seedAccounts: 2,
    timeout: '1000ms',
  });

  it('seeds accounts with a post each per key, tagged seed, every POST with an Idempotency-Key', () => {
    const tenants = workload.setup();
    expect(Object.keys(tenants)).toEqual(['k1', 'k2']);
    expect(tenants.k1!.accounts).toHaveLength(2);
    expect(sent).toHaveLength(8);
    for (const s of sent) {
      expect(s.params.tags.class).toBe('seed');
      expect(s.params.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(sent.map((s) => s.params.headers['idempotency-key'])).size).toBe(8);
  });

  it('draws every operation of the mix, tags reads and writes, names routes without ids', () => {
    const tenants = workload.setup();
    sent.length = 0;
    for (let i = 0; i < 400; i++) workload.iteration(tenants);
    const kinds = new Set(sent.map((s) => `${s.params.tags.class} ${s.params.tags.name}`));
    expect([...kinds].sort()).toEqual([
      'read GET /v1/accounts/:id',
      'read GET /v1/accounts/:id/posts/:id',
      'write POST /v1/accounts',
      'write POST /v1/accounts/:id/posts/:id/views',
      'write POST /v1/accounts/:id/subscriptions',
    ]);
    for (const s of sent) expect(s.params.headers['x-api-key']).toMatch(/^k[12]$/);
  });

  it('writes the quorum store keys in setup when the mix has kv operations, then PUTs and GETs them', () => {
    const kv = createWorkload({
      baseUrl: 'http://gw',
      keys: ['k1'],
      mix: [
        ['kv.write', 1],
        ['kv.read', 1],
      ],
      seedAccounts: 1,
      timeout: '1000ms',
    });
    sent.length = 0;
    const tenants = kv.setup();
    const seeded = sent.filter((s) => s.method === 'PUT');
    expect(seeded.map((s) => s.url).sort()).toEqual([0, 1, 2, 3].map((i) => `http://gw/v1/kv/k6-${i}`));
    for (const s of seeded) expect(s.params.tags.class).toBe('seed');
    sent.length = 0;
    for (let i = 0; i < 100; i++) kv.iteration(tenants);
    expect(new Set(sent.map((s) => `${s.params.tags.class} ${s.method}`))).toEqual(new Set(['write PUT', 'read GET']));
    for (const s of sent) expect(s.url).toMatch(/^http:\/\/gw\/v1\/kv\/k6-[0-3]$/);
  });
});
