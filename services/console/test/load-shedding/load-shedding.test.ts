import { injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { buildTestConsole } from '../support/helpers.js';

// A saturated console answers a fast 503 ERR_OVERLOADED with Retry-After (SHED_EVENT_LOOP_DELAY_MS),
// keeps answering its probes, and recovers.
describe('the console under pressure', () => {
  it('sheds while its event loop is saturated, answers its probes, and recovers', async () => {
    const node = await buildTestConsole({ SHED_EVENT_LOOP_DELAY_MS: '100' });
    try {
      await node.app.ready();
      const seen = await observeShedding(injected(node.app, '/no-such-route'), injected(node.app, '/healthz'));
      expect(seen.shed).toEqual(OVERLOADED);
      expect(seen.probe.status).toBe(200);
      expect(seen.recovered.status).not.toBe(503);
    } finally {
      await node.app.close();
    }
  });
});
