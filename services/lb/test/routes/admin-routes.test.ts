import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { strategyNames } from '../../src/strategies/strategy.js';
import { adminHosts, startLb, startUpstream, staticList, type TestLb, type TestUpstream } from '../support/helpers.js';

const agent = new Agent({ keepAliveTimeout: 1000, connections: 64 });
const started: TestLb[] = [];
const upstreams: TestUpstream[] = [];

async function setup(env: Record<string, string> = {}): Promise<TestLb> {
  for (const id of ['a', 'b', 'c']) upstreams.push(await startUpstream(id));
  const lb = await startLb({ STATIC_UPSTREAMS: staticList(upstreams), HEALTH_INTERVAL_MS: '60000', ...env });
  started.push(lb);
  return lb;
}
const put = (lb: TestLb, payload: unknown) =>
  lb.app.inject({ method: 'PUT', url: '/admin/lb/strategy', payload: payload as Record<string, unknown> });

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.stop()));
});
afterAll(async () => {
  await agent.close();
});

describe('PUT /admin/lb/strategy', () => {
  it('switches strategy and weights: weighted round robin then serves exact proportions', async () => {
    const lb = await setup();
    const res = await put(lb, { strategy: 'weighted-round-robin', weights: { a: 3, b: 2, c: 1 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ strategy: 'weighted-round-robin', hashKey: 'client' });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const r = await request(`${lb.url}/x`, { dispatcher: agent });
      await r.body.dump();
      const id = String(r.headers['x-upstream']);
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 30, b: 20, c: 10 });
    // null clears an override.
    await put(lb, { strategy: 'weighted-round-robin', weights: { a: null } });
    expect((await adminHosts(lb.app)).hosts.find((h) => h.id === 'a')?.weight).toBe(1);
  });

  it('rejects bad input with a 4xx and a stable code, leaving strategy and weights unchanged', async () => {
    const lb = await setup({ STRATEGY: 'least-request' });
    const cases: [unknown, string][] = [
      [{ strategy: 'fastest' }, 'LB_ERR_UNKNOWN_STRATEGY'],
      [{ strategy: 'ring-hash', hashKey: 'cookie:sid' }, 'LB_ERR_BAD_HASH_KEY'],
      [{ strategy: 'round-robin', weights: { a: 2, b: -1 } }, 'LB_ERR_BAD_WEIGHTS'],
      [{ strategy: 'round-robin', weights: { a: 2, nobody: 1 } }, 'LB_ERR_BAD_WEIGHTS'],
      [{ strategy: 'round-robin', weights: { a: 'heavy' } }, 'LB_ERR_BAD_WEIGHTS'],
      [{ strategy: 'round-robin', weights: [1, 2] }, 'LB_ERR_BAD_WEIGHTS'],
      [{ strategy: 'round-robin', extra: true }, 'ERR_VALIDATION'],
      [{}, 'ERR_VALIDATION'],
    ];
    for (const [body, code] of cases) {
      const res = await put(lb, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ code: string }>().code).toBe(code);
    }
    const state = await adminHosts(lb.app);
    expect(state.strategy).toBe('least-request');
    expect(state.hosts.map((h) => h.weight)).toEqual([1, 1, 1]);
  });

  it('routes as each strategy claims once switched to it at run time (distribution or key affinity)', async () => {
    const lb = await setup();
    /** Sequential requests (nothing in flight at a pick); which upstream answered each. */
    const send = async (n: number, headers: (i: number) => Record<string, string> = () => ({})) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await request(`${lb.url}/s`, { dispatcher: agent, headers: headers(i) });
        await r.body.dump();
        expect(r.statusCode).toBe(200);
        ids.push(String(r.headers['x-upstream']));
      }
      return ids;
    };
    const counts = (ids: readonly string[]) =>
      Object.fromEntries(['a', 'b', 'c'].map((id) => [id, ids.filter((x) => x === id).length]));
    const use = async (strategy: string, hashKey = 'client') =>
      expect((await put(lb, { strategy, hashKey })).statusCode).toBe(200);
    const checked = new Set<string>();

    // Rotations: exact shares, and every window of three requests visits every upstream.
    for (const strategy of ['round-robin', 'weighted-round-robin', 'least-connections']) {
      await use(strategy);
      const ids = await send(30);
      expect(counts(ids), strategy).toEqual({ a: 10, b: 10, c: 10 });
      for (let i = 0; i + 3 <= ids.length; i += 3) expect(new Set(ids.slice(i, i + 3)).size, strategy).toBe(3);
      checked.add(strategy);
    }
    // Random: no order, but all of them (3 x (2/3)^60 odds of missing one).
    await use('random');
    expect(new Set(await send(60))).toEqual(new Set(['a', 'b', 'c']));
    checked.add('random');
    // ip-hash: one client address, one upstream.
    await use('ip-hash');
    expect(new Set(await send(20)).size).toBe(1);
    checked.add('ip-hash');
    // Consistent hashing on a header: each key sticks to one upstream, the keys spread over several;
    // with nothing in flight bounded-load is the plain ring's owner.
    const keys = Array.from({ length: 12 }, (_, k) => `user-${k}`);
    const ownersBy = new Map<string, string[]>();
    for (const strategy of ['ring-hash', 'bounded-load', 'rendezvous', 'maglev']) {
      await use(strategy, 'header:x-user');
      const ids = await send(keys.length * 3, (i) => ({ 'x-user': keys[i % keys.length]! }));
      const owners = keys.map((_, k) => [ids[k], ids[k + keys.length], ids[k + 2 * keys.length]]);
      for (const seen of owners) expect(new Set(seen).size, strategy).toBe(1);
      expect(new Set(owners.map((o) => o[0])).size, strategy).toBeGreaterThan(1);
      ownersBy.set(
        strategy,
        owners.map((o) => o[0]!),
      );
      checked.add(strategy);
    }
    expect(ownersBy.get('bounded-load')).toEqual(ownersBy.get('ring-hash'));
    // Least-request (two random choices, the less loaded wins) and least-connections under load:
    // a slow upstream keeps requests in flight, so it gets far fewer of them.
    upstreams[0]!.delayMs = 200;
    for (const strategy of ['least-request', 'least-connections']) {
      await use(strategy);
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (ids.length < 150) {
            const r = await request(`${lb.url}/s`, { dispatcher: agent });
            await r.body.dump();
            ids.push(String(r.headers['x-upstream']));
          }
        }),
      );
      const { a, b, c } = counts(ids);
      expect(a!, strategy).toBeLessThan((b! + c!) / 4);
      checked.add(strategy);
    }
    upstreams[0]!.delayMs = 0;
    expect([...checked].sort()).toEqual([...strategyNames].sort());
  });

  it('a switch under load loses no request', async () => {
    const lb = await setup();
    for (const u of upstreams) u.delayMs = 2;
    let running = true;
    const statuses: number[] = [];
    const worker = async () => {
      while (running) {
        const r = await request(`${lb.url}/load`, {
          dispatcher: agent,
          headers: { 'x-user': String(statuses.length) },
        });
        await r.body.dump();
        statuses.push(r.statusCode);
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    for (let round = 0; round < 3; round++) {
      for (const strategy of strategyNames) {
        const res = await put(lb, { strategy, hashKey: round === 1 ? 'header:x-user' : 'client' });
        expect(res.statusCode).toBe(200);
        // Let some requests through on each strategy before the next switch.
        const mark = statuses.length;
        while (statuses.length < mark + 10) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    running = false;
    await Promise.all(workers);
    expect(statuses.length).toBeGreaterThan(strategyNames.length * 30);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});

describe('path routes (ROUTES)', () => {
  const upstreamsOf = async (lb: TestLb, path: string, n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await request(`${lb.url}${path}`, { dispatcher: agent });
      await r.body.dump();
      ids.push(String(r.headers['x-upstream']));
    }
    return ids;
  };

  it('sends each prefix to its own pool with its own strategy; the rest uses the main strategy', async () => {
    const lb = await setup({ ROUTES: '/reports=round-robin@b|c,/accounts/vip/=least-connections@a' });
    expect((await upstreamsOf(lb, '/reports/2024?q=1', 6)).sort()).toEqual(['b', 'b', 'b', 'c', 'c', 'c']);
    expect(new Set(await upstreamsOf(lb, '/accounts/vip/7', 4))).toEqual(new Set(['a']));
    // Segment boundaries: /reportsX is not under /reports.
    expect(new Set(await upstreamsOf(lb, '/reportsX', 6))).toEqual(new Set(['a', 'b', 'c']));
    const state = (await lb.app.inject({ method: 'GET', url: '/admin/lb' })).json<{ routes: unknown[] }>();
    expect(state.routes).toEqual([
      { prefix: '/accounts/vip', strategy: 'least-connections', hosts: ['a'] },
      { prefix: '/reports', strategy: 'round-robin', hosts: ['b', 'c'] },
    ]);
  });

  it('refuses a route naming an unknown strategy at boot', async () => {
    await expect(startLb({ ROUTES: '/x=fastest' })).rejects.toThrow(/unknown strategy/);
  });
});
