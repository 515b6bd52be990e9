import { injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/helpers.js';

// A saturated billing replica answers a fast 503 ERR_OVERLOADED with Retry-After on its API
// (SHED_EVENT_LOOP_DELAY_MS), keeps answering its probes, and recovers.
describe('a billing replica under pressure', () => {
  it('sheds while its event loop is saturated, answers its probes, and recovers', async () => {
    const node = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '100' });
    try {
      await node.app.ready();
      const seen = await observeShedding(injected(node.app, '/no-such-route'), injected(node.app, '/healthz'));
      expect(seen).toMatchObject({ shed: OVERLOADED, probe: { status: 200 }, recovered: { status: 404 } });
    } finally {
      await node.app.close();
    }
  });
});
