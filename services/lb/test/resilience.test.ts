import { closedPort } from '@sdl/testing';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { adminHosts, startLb, startUpstream, staticList, type TestLb, type TestUpstream } from './support/helpers.js';

const agent = new Agent({ keepAliveTimeout: 1000 });
const started: TestLb[] = [];
const upstreams: TestUpstream[] = [];

async function setup(
  env: Record<string, string>,
): Promise<{ lb: TestLb; a: TestUpstream; b: TestUpstream; c: TestUpstream }> {
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => startUpstream(id)));
  upstreams.push(a!, b!, c!);
  const lb = await startLb({ STATIC_UPSTREAMS: staticList([a!, b!, c!]), ...env });
  started.push(lb);
  return { lb, a: a!, b: b!, c: c! };
}
async function hit(lb: TestLb, n: number): Promise<{ status: number; upstream: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await request(`${lb.url}/x`, { dispatcher: agent });
    await r.body.dump();
    out.push({ status: r.statusCode, upstream: String(r.headers['x-upstream']) });
  }
  return out;
}
const metricsOf = async (lb: TestLb) => (await lb.app.inject({ method: 'GET', url: '/metrics' })).body;

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.stop()));
});
afterAll(async () => {
  await agent.close();
});

describe('resilience', () => {
  it('ejects a host after consecutive 5xx, counts it, and takes it back (warming up) when the ejection ends', async () => {
    const { lb, b } = await setup({
      OUTLIER_CONSECUTIVE_ERRORS: '3',
      OUTLIER_BASE_EJECTION_MS: '300',
      HEALTH_INTERVAL_MS: '60000',
      SLOW_START_MS: '60000',
    });
    b.respond = (res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    const first = await hit(lb, 9); // round robin: b answers 3 times, all 500
    expect(first.filter((r) => r.upstream === 'b').map((r) => r.status)).toEqual([500, 500, 500]);
    const during = await hit(lb, 10);
    expect(during.map((r) => r.upstream)).not.toContain('b');
    expect(during.every((r) => r.status === 200)).toBe(true);
    expect(await metricsOf(lb)).toMatch(/lb_upstream_ejections_total\{[^}]*upstream="b"[^}]*\} 1/);
    expect((await adminHosts(lb.app)).hosts.find((h) => h.id === 'b')).toMatchObject({ ejected: true, ejections: 1 });
    b.respond = undefined;
    await vi.waitFor(async () => expect((await hit(lb, 3)).map((r) => r.upstream)).toContain('b'));
    const back = (await adminHosts(lb.app)).hosts.find((h) => h.id === 'b');
    expect(back).toMatchObject({ ejected: false, ejections: 1, effectiveWeight: 0.1 });
  });

  it('never ejects more than the maximum share of hosts', async () => {
    const { lb, a, b, c } = await setup({ OUTLIER_CONSECUTIVE_ERRORS: '1', OUTLIER_MAX_EJECTION_PERCENT: '34' });
    for (const u of [a, b, c]) u.respond = (res) => res.writeHead(503).end();
    await hit(lb, 6);
    const ejected = (await adminHosts(lb.app)).hosts.filter((h) => h.ejected === true);
    expect(ejected).toHaveLength(1);
  });

  it('panics below the threshold: with 1 of 3 hosts healthy, traffic spreads over all three', async () => {
    const { lb, b, c } = await setup({ HEALTH_INTERVAL_MS: '30', HEALTH_FALL: '1' });
    b.healthy = false;
    c.healthy = false;
    await vi.waitFor(async () => expect((await adminHosts(lb.app)).hosts.filter((h) => h.healthy)).toHaveLength(1));
    const spread = new Set((await hit(lb, 9)).map((r) => r.upstream));
    expect([...spread].sort()).toEqual(['a', 'b', 'c']);
    expect((await adminHosts(lb.app)).panicking).toBe(true);
  });

  it('without panic mode the same cluster sends everything to the one healthy host', async () => {
    const { lb, b, c } = await setup({ HEALTH_INTERVAL_MS: '30', HEALTH_FALL: '1', PANIC_THRESHOLD_PERCENT: '0' });
    b.healthy = false;
    c.healthy = false;
    await vi.waitFor(async () => expect((await adminHosts(lb.app)).hosts.filter((h) => h.healthy)).toHaveLength(1));
    expect(new Set((await hit(lb, 9)).map((r) => r.upstream))).toEqual(new Set(['a']));
  });

  it('a spent retry budget answers the failure instead of retrying', async () => {
    const live = await startUpstream('live');
    upstreams.push(live);
    const dead = await closedPort();
    const lb = await startLb({
      STATIC_UPSTREAMS: `a-dead=http://127.0.0.1:${dead},${staticList([live])}`,
      RETRY_BUDGET_PERCENT: '0',
      RETRY_BUDGET_MIN_CONCURRENT: '0',
    });
    started.push(lb);
    const [first] = await hit(lb, 1); // round robin starts with a-dead
    expect(first!.status).toBe(502);
    expect(await metricsOf(lb)).toMatch(/lb_retries_budget_exhausted_total\{[^}]*\} 1/);
  });

  it('least-request and least-connections send less to a slow host under concurrent load', async () => {
    for (const strategy of ['least-request', 'least-connections']) {
      const { lb, a } = await setup({ STRATEGY: strategy, HEALTH_INTERVAL_MS: '60000' });
      a.delayMs = 40;
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          for (const r of await hit(lb, 25)) counts[r.upstream]!++;
        }),
      );
      // Round robin would give a 50 of 150 (measured here: 8-14); a host 40 ms slower holds its requests longer.
      expect(counts.a, strategy).toBeLessThan(35);
      await Promise.all(started.splice(0).map((s) => s.close()));
      await Promise.all(upstreams.splice(0).map((u) => u.stop()));
    }
  });

  it('loses no idempotent request when one of three upstreams is killed under steady load', async () => {
    const { lb, b } = await setup({ HEALTH_INTERVAL_MS: '50' });
    for (const u of upstreams) u.delayMs = 3;
    let running = true;
    const results: { status: number; upstream: string }[] = [];
    const workers = Array.from({ length: 6 }, async () => {
      while (running) results.push(...(await hit(lb, 1)));
    });
    await vi.waitFor(() => expect(results.length).toBeGreaterThan(60));
    await b.stop(); // closes its in-flight connections too: those GETs are retried elsewhere
    const killedAt = results.length;
    await vi.waitFor(() => expect(results.length).toBeGreaterThan(killedAt + 150));
    running = false;
    await Promise.all(workers);
    // The kill makes a burst of retries (b's in-flight resets plus connects refused before b is marked
    // down: 4 seen here); RETRY_BUDGET_MIN_CONCURRENT (default 10) must cover it. With 3 it failed 1 run in 6.
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(results.slice(killedAt + 20).map((r) => r.upstream)).not.toContain('b');
  });
});
