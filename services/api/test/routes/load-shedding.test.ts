import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, UNREACHABLE_PG, type TestApp } from '../support/helpers.js';

// An api node whose event loop is saturated (a CPU-bound burst in this very process) answers a fast
// 503 ERR_OVERLOADED with Retry-After instead of queueing requests behind the loop, and serves again
// once the pressure is gone. SHED_EVENT_LOOP_DELAY_MS comes from the node's config.
describe('an api node under pressure', () => {
  let node: TestApp;

  beforeAll(async () => {
    node = await buildTestApp({
      SHARD_PRIMARIES: `${UNREACHABLE_PG},${UNREACHABLE_PG}`,
      SHED_EVENT_LOOP_DELAY_MS: '100',
    });
    await node.app.ready();
  });
  afterAll(async () => {
    await node?.app.close();
  });

  it('sheds while saturated and recovers', async () => {
    expect((await node.app.inject('/v1/whoami')).statusCode).toBe(200);
    await vi.waitFor(
      async () => {
        const until = performance.now() + 400;
        while (performance.now() < until); // saturate the loop
        const res = await node.app.inject('/v1/whoami');
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.json()).toMatchObject({ code: 'ERR_OVERLOADED', retriable: true });
      },
      { timeout: 15_000, interval: 20 },
    );
    await vi.waitFor(async () => expect((await node.app.inject('/v1/whoami')).statusCode).toBe(200), {
      timeout: 15_000,
      interval: 100,
    });
  });
});
