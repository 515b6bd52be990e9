import { injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('sheds while saturated, answers its probes, and recovers', async () => {
    expect((await node.app.inject('/v1/whoami')).statusCode).toBe(200);
    const seen = await observeShedding(injected(node.app, '/v1/whoami'), injected(node.app, '/healthz'));
    expect(seen).toMatchObject({ shed: OVERLOADED, probe: { status: 200 }, recovered: { status: 200 } });
  });
});
