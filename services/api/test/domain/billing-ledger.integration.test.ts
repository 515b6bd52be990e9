import { randomUUID } from 'node:crypto';
import { encodeEnvelope } from '@sdl/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShardRouter } from '../../src/sharding/shard-router.js';
import { EventBus } from '../support/event-bus.js';
import { buildTestApp, metricValue, type TestApp } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

// The idempotent consumer of billing.events against two real shards: the bus delivers what the
// test publishes, as Kafka would deliver what the outbox relay publishes (at least once).
describe('billing ledger projection (idempotent consumer of billing.events)', () => {
  let stack: ShardedStack;
  let node: TestApp;
  const bus = new EventBus();
  const router = createShardRouter(2);
  let accountId = '';

  beforeAll(async () => {
    stack = await startShardedStack();
    node = await buildTestApp(stack.env, { billingEvents: bus.subscriber });
    await node.app.ready();
    const created = await node.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: 'l@x.io', name: 'L' },
    });
    accountId = created.json<{ id: string }>().id;
  });
  afterAll(async () => {
    await node?.app.close();
    await stack?.stop();
  });

  const chargeEvent = (type: string, chargeId: string, eventId = randomUUID()) => ({
    key: chargeId,
    value: encodeEnvelope({
      eventId,
      type,
      aggregateType: 'charge',
      aggregateId: chargeId,
      occurredAt: new Date().toISOString(),
      data: { chargeId, accountId, amountCents: 1500, currency: 'EUR', status: type.slice('charge.'.length) },
    }),
  });
  const ledger = async () =>
    (await node.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/billing` })).json<
      Record<string, unknown>
    >();

  it('applies an event published twice once: processed_events in the same transaction as the effect', async () => {
    expect(await ledger()).toMatchObject({ accountId, chargesCreated: 0, chargedCents: 0, updatedAt: null });
    const created = chargeEvent('charge.created', 'chg_1');
    const succeeded = chargeEvent('charge.succeeded', 'chg_1');
    await bus.publish('billing.events', [created, succeeded]);
    // The relay publishes again (a crash between publish and marking the rows published).
    await bus.publish('billing.events', [created, succeeded]);

    expect(await ledger()).toMatchObject({
      accountId,
      chargesCreated: 1,
      chargesSucceeded: 1,
      chargesFailed: 0,
      chargedCents: 1500,
      lastChargeId: 'chg_1',
    });
    expect(await metricValue(node.metrics, 'api_billing_ledger_events_total', { result: 'applied' })).toBe(2);
    expect(await metricValue(node.metrics, 'api_billing_ledger_events_total', { result: 'duplicate' })).toBe(2);
    const shard = stack.db[router.route(accountId).shard]!;
    const { rows } = await shard.query(
      "SELECT count(*)::int AS n FROM processed_events WHERE id LIKE 'billing-ledger:%'",
    );
    expect(rows[0].n).toBe(2);
  });

  it('adds every distinct event, and skips what is not a charge event', async () => {
    await bus.publish('billing.events', [
      chargeEvent('charge.succeeded', 'chg_2'),
      chargeEvent('charge.failed', 'chg_3'),
    ]);
    await bus.publish('billing.events', [{ key: 'x', value: 'not json' }, chargeEvent('charge.refunded', 'chg_4')]);
    expect(await ledger()).toMatchObject({ chargesSucceeded: 2, chargesFailed: 1, chargedCents: 3000 });
    expect(await metricValue(node.metrics, 'api_billing_ledger_events_total', { result: 'skipped' })).toBe(2);
  });
});
