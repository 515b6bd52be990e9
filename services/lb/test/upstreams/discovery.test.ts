import { createCoordinator, type Coordinator, type Registration } from '@sdl/coord';
import { createLogger } from '@sdl/logging';
import { closedPort, startEtcd, type Started } from '@sdl/testing';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminHosts, startLb, staticList, startUpstream, type TestLb, type TestUpstream } from '../support/helpers.js';

const prefix = '/sdl/services/api/';
const entry = (u: TestUpstream) => JSON.stringify({ id: u.id, url: u.url, weight: 1 });

describe('discovery from a real etcd', () => {
  let etcd: Started;
  let registry: Coordinator;
  let lb: TestLb;
  let one: TestUpstream;
  let two: TestUpstream;
  const agent = new Agent();

  beforeAll(async () => {
    etcd = await startEtcd();
    registry = createCoordinator({ endpoints: [etcd.url], logger: createLogger({ name: 'test', level: 'silent' }) });
    [one, two] = await Promise.all([startUpstream('api-1'), startUpstream('api-2')]);
    // The lb makes its own coordinator from ETCD_ENDPOINTS, as in compose.
    lb = await startLb({ ETCD_ENDPOINTS: etcd.url, DISCOVERY_PREFIX: prefix });
  });
  afterAll(async () => {
    await lb?.close();
    await registry?.close();
    await Promise.all([one?.stop(), two?.stop()]);
    await agent.close();
    await etcd?.stop();
  });

  const ids = async () => (await adminHosts(lb.app)).hosts.map((h) => `${h.id}:${h.source}`);

  it('is ready when etcd answers', async () => {
    const res = await lb.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ checks: { etcd: 'ok' } });
  });

  it('adds a registered host and removes it when the key goes, without a restart', async () => {
    const first: Registration = await registry.register(`${prefix}api-1`, entry(one), 5);
    await vi.waitFor(async () => expect(await ids()).toEqual(['api-1:etcd']));
    const res = await request(`${lb.url}/things`, { dispatcher: agent });
    await res.body.dump();
    expect(res.headers['x-upstream']).toBe('api-1');

    const second = await registry.register(`${prefix}api-2`, entry(two), 5);
    await registry.put(`${prefix}broken`, '{not json');
    await vi.waitFor(async () => expect(await ids()).toEqual(['api-1:etcd', 'api-2:etcd']));
    const answered = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await request(`${lb.url}/things`, { dispatcher: agent });
      await r.body.dump();
      answered.add(r.headers['x-upstream'] as string);
    }
    expect([...answered].sort()).toEqual(['api-1', 'api-2']);

    await first.revoke();
    await vi.waitFor(async () => expect(await ids()).toEqual(['api-2:etcd']));
    for (let i = 0; i < 3; i++) {
      const r = await request(`${lb.url}/things`, { dispatcher: agent });
      await r.body.dump();
      expect(r.headers['x-upstream']).toBe('api-2');
    }
    await second.revoke();
    await vi.waitFor(async () => expect(await ids()).toEqual([]));
    const none = await request(`${lb.url}/things`, { dispatcher: agent });
    expect(((await none.body.json()) as { code: string }).code).toBe('LB_ERR_NO_HEALTHY_UPSTREAM');
  });
});

describe('discovery while etcd is unreachable', () => {
  it('still serves static upstreams, and readiness says etcd is down', async () => {
    const up = await startUpstream('static-1');
    const lb = await startLb({
      ETCD_ENDPOINTS: `http://127.0.0.1:${await closedPort()}`,
      STATIC_UPSTREAMS: staticList([up]),
    });
    try {
      const res = await request(`${lb.url}/x`);
      await res.body.dump();
      expect(res.headers['x-upstream']).toBe('static-1');
      const ready = await lb.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect((await lb.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await lb.close();
      await up.stop();
    }
  });
});
