import { closedPort, injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/helpers.js';

// A saturated ratelimiter answers a fast 503 ERR_OVERLOADED with Retry-After (SHED_EVENT_LOOP_DELAY_MS)
// instead of queueing the gateway's checks behind its loop, keeps answering its probes, and recovers.
describe('a ratelimiter under pressure', () => {
  it('sheds while its event loop is saturated, answers its probes, and recovers', async () => {
    const node = await buildTestApp({
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      SHED_EVENT_LOOP_DELAY_MS: '100',
    });
    try {
      await node.app.ready();
      const seen = await observeShedding(injected(node.app, '/no-such-route'), injected(node.app, '/healthz'));
      expect(seen).toMatchObject({ shed: OVERLOADED, probe: { status: 200 }, recovered: { status: 404 } });
    } finally {
      await node.app.close();
    }
  });
});
