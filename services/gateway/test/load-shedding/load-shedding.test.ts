import { injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { startEdge } from '../support/servers.js';

// A saturated gateway answers a fast 503 ERR_OVERLOADED with Retry-After (SHED_EVENT_LOOP_DELAY_MS)
// before any other work of a request, keeps answering its probes, and recovers.
describe('a gateway under pressure', () => {
  it('sheds while its event loop is saturated, answers its probes, and recovers', async () => {
    const edge = await startEdge({ SHED_EVENT_LOOP_DELAY_MS: '100' });
    try {
      const { app } = edge.gateway;
      const seen = await observeShedding(injected(app, '/no-such-route'), injected(app, '/healthz'));
      expect(seen.shed).toEqual(OVERLOADED);
      expect(seen.probe.status).toBe(200);
      expect(seen.recovered.status).not.toBe(503);
    } finally {
      await edge.close();
    }
  });
});
