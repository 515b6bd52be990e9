import { injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/helpers.js';

// A saturated payment provider answers a fast 503 ERR_OVERLOADED with Retry-After (billing retries
// it as any 503), keeps answering its probes, and recovers.
describe('the payment provider under pressure', () => {
  it('sheds while its event loop is saturated, answers its probes, and recovers', async () => {
    const app = await buildTestApp({ SHED_EVENT_LOOP_DELAY_MS: '100' });
    try {
      await app.ready();
      const seen = await observeShedding(injected(app, '/no-such-route'), injected(app, '/healthz'));
      expect(seen).toMatchObject({ shed: OVERLOADED, probe: { status: 200 }, recovered: { status: 404 } });
    } finally {
      await app.close();
    }
  });
});
