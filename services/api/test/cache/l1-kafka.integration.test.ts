import { startAll, startMockKafka, startPostgres, startRedis, type MockKafka, type Started } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, metricValue, type TestApp } from '../support/helpers.js';

// Two api nodes with the L1 on, the real outbox relay and the real Kafka consumer (a consumer
// group per node) against librdkafka's mock cluster: a write on one node invalidates the other's
// L1 through Kafka, well before the L1 TTL.
describe('L1 invalidation through Kafka (librdkafka mock cluster)', () => {
  let pgServer: Started | undefined;
  let redisServer: Started | undefined;
  let kafka: MockKafka | undefined;
  const nodes: TestApp[] = [];

  beforeAll(async () => {
    [pgServer, redisServer] = await startAll(startPostgres, startRedis);
    kafka = await startMockKafka('accounts.events');
    const brokers = kafka.brokers;
    for (const nodeId of ['api-a', 'api-b']) {
      const node = await buildTestApp({
        NODE_ID: nodeId,
        SHARD_PRIMARIES: pgServer.url,
        REDIS_CACHE_URL: redisServer.url,
        KAFKA_BROKERS: brokers,
        REDIS_TIMEOUT_MS: '2000',
        OUTBOX_POLL_MS: '20',
        CACHE_L1_ENTRIES: '100',
        CACHE_L1_TTL_MS: '600000',
      });
      nodes.push(node);
      await node.app.ready();
    }
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    await kafka?.stop();
    await Promise.all([pgServer, redisServer].map((s) => s?.stop().catch(() => undefined)));
  });

  const [a, b] = [0, 1];
  const get = (node: number, id: string) => nodes[node]!.app.inject({ method: 'GET', url: `/v1/accounts/${id}` });
  const create = async (node: number, name: string) => {
    const res = await nodes[node]!.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: `${name}@example.com`, name },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };

  it("drops node b's L1 entry when node a updates the account", async () => {
    // The first group join takes seconds, and a group without offsets starts at the latest one:
    // wait until b's consumer receives events at all (each attempt publishes one more).
    await vi.waitFor(
      async () => {
        await create(a, 'probe');
        expect(
          await metricValue(nodes[b]!.metrics, 'api_cache_l1_events_total', { result: 'applied' }),
        ).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 1000 },
    );

    const id = await create(a, 'Old');
    expect((await get(b, id)).json<{ name: string }>().name).toBe('Old');
    const hits = await metricValue(nodes[b]!.metrics, 'api_cache_l1_requests_total', {
      entity: 'account',
      result: 'hit',
    });
    expect((await get(b, id)).json<{ name: string }>().name).toBe('Old');
    expect(
      await metricValue(nodes[b]!.metrics, 'api_cache_l1_requests_total', { entity: 'account', result: 'hit' }),
    ).toBe(hits + 1);

    const updated = await nodes[a]!.app.inject({
      method: 'PATCH',
      url: `/v1/accounts/${id}`,
      payload: { name: 'New' },
    });
    expect(updated.statusCode).toBe(200);

    // Only the event can end b's 10-minute L1 entry.
    await vi.waitFor(async () => expect((await get(b, id)).json<{ name: string }>().name).toBe('New'), {
      timeout: 30_000,
      interval: 50,
    });
    expect(
      await metricValue(nodes[b]!.metrics, 'api_cache_l1_invalidations_total', { entity: 'account', source: 'event' }),
    ).toBeGreaterThanOrEqual(1);
  });
});
