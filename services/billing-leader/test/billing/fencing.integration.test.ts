import { describe, expect, it, vi } from 'vitest';
import { expectExactlyOnce, useBillingSuite } from '../support/billing-fixtures.js';

const never = new AbortController().signal;

// Two leaders by hand: A holds the older token 5, B the newer token 7, on the same shards, the way
// a paused leader and its successor meet. Fencing on refuses A once B has written; off lets A's
// write land. Either way the database constraints and the idempotency keys keep the money right.
describe('billing fence', () => {
  const suite = useBillingSuite();

  it.each(['on', 'off'] as const)(
    'fencing %s: a stale leader’s next tick after a newer leader wrote',
    async (fencing) => {
      const stack = suite.stack();
      await stack.seed(2, { dueSecondsAgo: 50 });
      const first = await stack.nextBilling();
      const a = suite.work({ fencing });
      const b = suite.work();
      await b.work.runOnce(7n, never);
      const later = await stack.seed(2, { dueSecondsAgo: 50 });
      for (const [id, next] of await stack.nextBilling()) if (later.includes(id)) first.set(id, next);

      await a.work.runOnce(5n, never);
      await a.work.runOnce(5n, never);
      const byA = (await stack.charges()).filter((c) => c.token === '5');
      if (fencing === 'on') {
        // Refused at the tick's first fence check, on each shard, and it never acts with token 5 again.
        expect(await a.sample('billing_fence_rejections_total')).toBe(2);
        expect(byA).toEqual([]);
        await b.work.runOnce(7n, never);
      } else {
        // Two creations and two settlements landed with the stale token.
        expect(await a.sample('billing_fence_rejections_total')).toBe(0);
        expect(await a.sample('billing_stale_writes_total')).toBe(4);
        expect(byA.map((c) => c.subscription_id).sort()).toEqual([...later].sort());
      }
      await expectExactlyOnce(stack, suite.payments(), first);
    },
  );

  // The paused leader: its provider call was in flight when the new leader took over.
  it.each(['on', 'off'] as const)(
    'fencing %s: a settlement arriving after a newer leader wrote (refused when on, landing when off)',
    async (fencing) => {
      const stack = suite.stack();
      const payments = suite.payments();
      await stack.seed(1, { dueSecondsAgo: 50 });
      const first = await stack.nextBilling();
      await payments.setFaults({ slowMs: 1000 });
      const a = suite.work({ fencing });
      // B leaves young pending charges alone: their writer's call may still be in flight.
      const b = suite.work({ pendingRetryAfterMs: 60_000 });
      const aTick = a.work.runOnce(5n, never);
      await vi.waitFor(async () => expect(await a.sample('billing_provider_in_flight')).toBe(1));
      await b.work.runOnce(7n, never);
      await aTick;

      if (fencing === 'on') {
        expect(await a.sample('billing_fence_rejections_total')).toBe(1);
        expect((await stack.charges())[0]).toMatchObject({ status: 'pending', token: '5' });
        b.settings.set({ pendingRetryAfterMs: 0 });
        await b.work.runOnce(7n, never);
        expect((await stack.charges())[0]).toMatchObject({ status: 'succeeded', token: '7' });
      } else {
        expect(await a.sample('billing_stale_writes_total')).toBe(1);
        expect((await stack.charges())[0]).toMatchObject({ status: 'succeeded', token: '5' });
      }
      await expectExactlyOnce(stack, payments, first);
      expect((await payments.audit()).charges).toBe(1);
    },
  );

  it('fencing on: a write already on its way when its leader is demoted meets the newer fence', async () => {
    const stack = suite.stack();
    await stack.seed(2, { dueSecondsAgo: 50 });
    const first = await stack.nextBilling();
    // The lab fault: A's writes wait 1.5 s after its last check, deaf to its abort signal.
    const a = suite.work({ writeStallMs: 1500 });
    const b = suite.work();
    const demoted = new AbortController();
    const aTick = a.work.runOnce(5n, demoted.signal);
    await b.work.runOnce(7n, never);
    demoted.abort();
    await aTick;
    expect(await a.sample('billing_fence_rejections_total')).toBeGreaterThan(0);
    expect((await stack.charges()).filter((c) => c.token === '5')).toEqual([]);
    await expectExactlyOnce(stack, suite.payments(), first);
  });
});
