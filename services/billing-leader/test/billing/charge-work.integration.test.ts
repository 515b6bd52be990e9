import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectExactlyOnce, useBillingSuite } from '../support/billing-fixtures.js';

// Periods of 100 s with the first one due 350 s ago: exactly four periods are due, and no fifth
// becomes due while a test runs, so every count below is exact.
const DUE_AGO = 350;
const DUE_PERIODS = 4;
const never = new AbortController().signal;

describe('charging work against real shards and the real provider', () => {
  const suite = useBillingSuite();
  const work = suite.work;
  let stack: ReturnType<typeof suite.stack>;
  let payments: ReturnType<typeof suite.payments>;
  beforeEach(() => {
    stack = suite.stack();
    payments = suite.payments();
  });

  it('charges every due period of every shard once, gap-free, with one provider charge per key', async () => {
    const subs = await stack.seed(10, { dueSecondsAgo: DUE_AGO });
    const first = await stack.nextBilling();
    const leader = work();
    await leader.work.runOnce(5n, never);

    const charges = await expectExactlyOnce(stack, payments, first);
    expect(charges).toHaveLength(subs.length * DUE_PERIODS);
    expect(new Set(charges.map((c) => c.token))).toEqual(new Set(['5']));
    expect(charges[0]!.idempotency_key).toBe(`sub:${charges[0]!.subscription_id}:${charges[0]!.period_start}`);
    expect(await stack.chargeEvents()).toEqual({ 'charge.created': 40, 'charge.succeeded': 40 });
    expect(await leader.sample('billing_charges_total', { outcome: 'succeeded' })).toBe(40);

    // A second tick finds nothing due: the state is in the database, not in the work.
    await leader.work.runOnce(5n, never);
    expect(await stack.charges()).toHaveLength(40);
    expect((await payments.audit()).charges).toBe(40);
  });

  it('accept-then-timeout: the provider charges but the answer times out; the retry replays it: one charge', async () => {
    await stack.seed(1, { dueSecondsAgo: 50 });
    const first = await stack.nextBilling();
    await payments.setFaults({ acceptTimeoutRate: 1, acceptTimeoutMs: 5000 });
    const leader = work({}, { providerTimeoutMs: 300 });
    await leader.work.runOnce(5n, never);

    await expectExactlyOnce(stack, payments, first);
    expect((await payments.audit()).replays).toBeGreaterThanOrEqual(1);
    expect(await leader.sample('billing_provider_request_duration_seconds_count', { result: 'timeout' })).toBe(1);
  });

  it('finishes a pending charge left behind with the same key, never creating another', async () => {
    await stack.seed(2, { dueSecondsAgo: 50 });
    const first = await stack.nextBilling();
    await payments.setFaults({ failRate: 1 });
    const dying = work({}, { providerAttempts: 1 });
    await dying.work.runOnce(5n, never);
    expect((await stack.charges()).map((c) => c.status)).toEqual(['pending', 'pending']);
    expect(await dying.sample('billing_charges_total', { outcome: 'left_pending' })).toBe(2);

    await payments.setFaults({ failRate: 0 });
    const next = work();
    await next.work.runOnce(6n, never);
    const charges = await expectExactlyOnce(stack, payments, first);
    expect(charges).toHaveLength(2);
    expect(new Set(charges.map((c) => c.token))).toEqual(new Set(['6']));
  });

  it('marks a charge the provider refuses for good as failed, with charge.failed', async () => {
    await stack.seed(1, { dueSecondsAgo: 50 });
    const leader = work();
    // The same key with another body is a permanent 422 at the provider.
    const charge = await leader.work.runOnce(5n, never).then(() => stack.charges());
    await stack.db[0]!.query("UPDATE charges SET status = 'pending', amount_cents = 1 WHERE id = $1", [charge[0]!.id]);
    await leader.work.runOnce(5n, never);
    expect((await stack.charges())[0]).toMatchObject({ status: 'failed' });
    const failed = await stack.db[0]!.query('SELECT failure_code FROM charges');
    expect(failed.rows[0].failure_code).toBe('PAY_ERR_IDEMPOTENCY_MISMATCH');
    expect(await stack.chargeEvents()).toMatchObject({ 'charge.failed': 1 });
  });

  it('leaves a partition this shard gave away to its new shard (partition write guard)', async () => {
    await stack.seed(2, { dueSecondsAgo: 50, partition: 9 });
    await stack.db[0]!.query('INSERT INTO partition_fences (partition, moved_to, map_version) VALUES (9, 1, 2)');
    const leader = work();
    await leader.work.runOnce(5n, never);
    const charges = await stack.charges();
    expect(charges.map((c) => c.subscription_id)).toEqual([expect.stringMatching(/^sub_/)]);
    expect(await leader.sample('billing_charges_total', { outcome: 'moved' })).toBe(1);
  });

  it('honours the abort signal within one provider call: the charge stays pending for the next leader', async () => {
    await stack.seed(1, { dueSecondsAgo: 50 });
    await payments.setFaults({ slowMs: 60_000 });
    const leader = work();
    const demoted = new AbortController();
    const tick = leader.work.runOnce(5n, demoted.signal);
    await vi.waitFor(async () => expect(await leader.sample('billing_provider_in_flight')).toBe(1));
    demoted.abort();
    await tick;
    expect((await stack.charges()).map((c) => c.status)).toEqual(['pending']);
    expect(await leader.sample('billing_provider_in_flight')).toBe(0);
  });
});
