import { ConfigError, loadConfig } from '@sdl/config';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { BillingLeaderConfigSchema } from '../src/config.js';
import { FakeElection, fakeCoordinator, recordingWork } from './support/fakes.js';
import { buildTestApp, sample, testConfig } from './support/helpers.js';

describe('config', () => {
  it('has the documented defaults', () => {
    expect(testConfig()).toMatchObject({
      port: 3003,
      etcdEndpoints: ['http://127.0.0.1:1'],
      electionName: 'billing',
      electionTtlS: 3,
      electionMarginMs: 750,
      tickMs: 1000,
      paymentsUrl: 'http://127.0.0.1:3002',
    });
  });

  it('requires ETCD_ENDPOINTS', () => {
    expect(() => loadConfig(BillingLeaderConfigSchema, {})).toThrow(/ETCD_ENDPOINTS/);
  });
});

describe('buildApp', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(): Promise<{ election: FakeElection; coordinator: ReturnType<typeof fakeCoordinator> }> {
    const election = new FakeElection();
    const coordinator = fakeCoordinator(election);
    ({ app } = await buildTestApp(
      { NODE_ID: 'billing-leader-1', TICK_MS: '10' },
      { coordinator, work: recordingWork() },
    ));
    await app.ready();
    return { election, coordinator };
  }

  it('rejects a margin that is not below the TTL', async () => {
    expect(() => testConfig({ ELECTION_TTL_S: '1', ELECTION_MARGIN_MS: '1000' })).toThrow(ConfigError);
    await expect(buildTestApp({ ELECTION_TTL_S: '1', ELECTION_MARGIN_MS: '1000' })).rejects.toThrow(
      /ELECTION_MARGIN_MS/,
    );
  });

  it('GET /v1/status follows the election', async () => {
    const { election } = await start();
    let res = await app!.inject({ method: 'GET', url: '/v1/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ node: 'billing-leader-1', leader: false, leaderNode: null, token: null, since: null });

    election.elect(12n, 'billing-leader-1');
    res = await app!.inject({ method: 'GET', url: '/v1/status' });
    expect(res.json()).toMatchObject({
      node: 'billing-leader-1',
      leader: true,
      leaderNode: 'billing-leader-1',
      token: '12',
    });

    election.demote('lease-lost');
    election.leaderName = 'billing-leader-2';
    res = await app!.inject({ method: 'GET', url: '/v1/status' });
    expect(res.json()).toEqual({
      node: 'billing-leader-1',
      leader: false,
      leaderNode: 'billing-leader-2',
      token: null,
      since: null,
    });
    const metrics = await app!.inject({ method: 'GET', url: '/metrics' });
    expect(sample(metrics.body, 'billing_leader_demotions_total', { reason: 'lease-lost' })).toBe(1);
  });

  it('is ready only while etcd answers', async () => {
    const { coordinator } = await start();
    expect((await app!.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    coordinator.down = true;
    const res = await app!.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ checks: { etcd: 'etcd did not answer' } });
  });

  it('resigns on close and leaves an injected coordinator open', async () => {
    const { election, coordinator } = await start();
    election.elect(4n);
    await app!.close();
    app = undefined;
    expect(election.resigned).toBe(1);
    expect(coordinator.closed).toBe(0);
  });
});
