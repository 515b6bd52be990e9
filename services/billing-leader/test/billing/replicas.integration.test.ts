import { createCoordinator, type Coordinator } from '@sdl/coord';
import { createLogger } from '@sdl/logging';
import { createTestAppBuilder, startEtcd, type Started, type TestApp } from '@sdl/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { BillingLeaderConfigSchema, checkBillingLeaderConfig, type BillingLeaderConfig } from '../../src/config.js';
import type { LeaderStatus } from '../../src/election/leadership.js';
import { startBillingStack, type BillingStack } from '../support/billing-stack.js';
import { expectExactlyOnce, startPayments, type TestPayments } from '../support/billing-fixtures.js';

const buildReplica = createTestAppBuilder({
  name: 'billing-leader',
  schema: BillingLeaderConfigSchema,
  check: checkBillingLeaderConfig,
  build: buildApp,
  env: {
    ELECTION_TTL_S: '2',
    ELECTION_MARGIN_MS: '500',
    TICK_MS: '100',
    BILLING_PERIOD_SECONDS: '1',
    PENDING_RETRY_AFTER_MS: '1000',
    PROVIDER_TIMEOUT_MS: '3000',
  },
});

type Replica = TestApp<BillingLeaderConfig> & { readonly coordinator: Coordinator };

// Two replicas as compose runs them, over two real shards, a real etcd and the real provider.
describe('billing-leader replicas charging', () => {
  let stack: BillingStack;
  let etcd: Started;
  let payments: TestPayments;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    [stack, etcd] = await Promise.all([startBillingStack(), startEtcd()]);
    await stack.migrate();
    payments = await startPayments();
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.app.close()));
    await Promise.all(replicas.map((r) => r.coordinator.close().catch(() => undefined)));
    replicas = [];
  });
  afterAll(async () => {
    await payments?.close();
    await Promise.all([stack?.stop(), etcd?.stop()]);
  });

  async function replica(node: string, election: string, shardPrimaries = stack.shardPrimaries): Promise<Replica> {
    const coordinator = createCoordinator({
      endpoints: [etcd.url],
      logger: createLogger({ name: 't', level: 'silent' }),
    });
    const env = { NODE_ID: node, ETCD_ENDPOINTS: etcd.url, ELECTION_NAME: election, SHARD_PRIMARIES: shardPrimaries };
    const made = { ...(await buildReplica({ ...env, PAYMENTS_URL: payments.url }, { coordinator })), coordinator };
    replicas.push(made);
    await made.app.ready();
    return made;
  }
  const status = async (r: Replica): Promise<LeaderStatus> =>
    (await r.app.inject({ method: 'GET', url: '/v1/status' })).json();
  const leaderOf = async (candidates: readonly Replica[]): Promise<Replica> => {
    let leader: Replica | undefined;
    await vi.waitFor(
      async () => {
        const statuses = await Promise.all(candidates.map(status));
        expect(statuses.filter((s) => s.leader)).toHaveLength(1);
        leader = candidates[statuses.findIndex((s) => s.leader)];
      },
      { timeout: 15_000, interval: 50 },
    );
    return leader!;
  };
  const chargesPerSubscription = async (): Promise<number[]> => {
    const counts = new Map<string, number>();
    for (const c of await stack.charges()) counts.set(c.subscription_id, (counts.get(c.subscription_id) ?? 0) + 1);
    return [...(await stack.nextBilling()).keys()].map((id) => counts.get(id) ?? 0);
  };

  it('charges every 1 s period exactly once while the leader crashes mid-run and the other takes over', async () => {
    await stack.reset();
    await stack.seed(20);
    const first = await stack.nextBilling();
    const a = await replica('billing-leader-1', 'charging');
    const b = await replica('billing-leader-2', 'charging');
    const leader = await leaderOf([a, b]);
    const other = leader === a ? b : a;
    await vi.waitFor(async () => expect(Math.min(...(await chargesPerSubscription()))).toBeGreaterThanOrEqual(3), {
      timeout: 30_000,
      interval: 200,
    });

    // As if the leader's process froze: keep-alives stop, its in-flight work is cut off.
    await leader.coordinator.close();
    expect(await leaderOf([other])).toBe(other);
    await vi.waitFor(async () => expect(Math.min(...(await chargesPerSubscription()))).toBeGreaterThanOrEqual(6), {
      timeout: 30_000,
      interval: 200,
    });

    // Wind down: make the remaining due periods the last ones, then let the leader settle everything.
    const settings = await other.app.inject({ method: 'PUT', url: '/admin/billing', payload: { periodSeconds: 3600 } });
    expect(settings.statusCode).toBe(200);
    await vi.waitFor(
      async () => {
        const charges = await stack.charges();
        expect(charges.filter((c) => c.status !== 'succeeded')).toEqual([]);
        expect([...(await stack.nextBilling()).values()].every((next) => Date.parse(next) > Date.now())).toBe(true);
      },
      { timeout: 30_000, interval: 200 },
    );
    const charges = await expectExactlyOnce(stack, payments, first);
    expect(new Set(charges.map((c) => c.token)).size).toBeGreaterThanOrEqual(2);
  });

  it('starts before the api migrated the shards: not ready (BILL_ERR_SCHEMA_NOT_MIGRATED), then charges', async () => {
    const fresh = await stack.freshDatabases('billing_fresh');
    const a = await replica('billing-leader-1', 'unmigrated', fresh);
    const notReady = await a.app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks.shards).toMatch(/not migrated yet/);
    await leaderOf([a]);

    await stack.migrate(fresh);
    await a.untilReady();
    const shard0 = new pg.Pool({ connectionString: fresh.split(',')[0], max: 1 });
    try {
      await shard0.query("INSERT INTO accounts (id, email, name, partition) VALUES ('acc_f', 'f@lab.test', 'f', 3)");
      await shard0.query(
        `INSERT INTO subscriptions (id, account_id, partition, plan, status, amount_cents, currency, period_months, next_billing_at)
         VALUES ('sub_f', 'acc_f', 3, 'basic', 'active', 500, 'EUR', 1, now())`,
      );
      await vi.waitFor(
        async () => {
          const { rows } = await shard0.query("SELECT status FROM charges WHERE subscription_id = 'sub_f'");
          expect(rows[0]).toEqual({ status: 'succeeded' });
        },
        { timeout: 10_000, interval: 100 },
      );
    } finally {
      await shard0.end();
    }
  });
});
