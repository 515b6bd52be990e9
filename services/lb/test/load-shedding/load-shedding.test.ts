import { fetched, injected, observeShedding, OVERLOADED } from '@sdl/testing';
import { describe, expect, it } from 'vitest';
import { startLb, startUpstream, staticList } from '../support/helpers.js';

// The proxy is the lb's own node:http server, beside its admin app: a saturated lb answers proxied
// requests with a fast 503 ERR_OVERLOADED and Retry-After (SHED_EVENT_LOOP_DELAY_MS) instead of
// queueing them, keeps answering the probes, and forwards again once the pressure is gone.
describe('an lb under pressure', () => {
  it('sheds proxied requests while its event loop is saturated, answers its probes, and recovers', async () => {
    const upstream = await startUpstream('api-1');
    const lb = await startLb({ STATIC_UPSTREAMS: staticList([upstream]), SHED_EVENT_LOOP_DELAY_MS: '100' });
    try {
      const seen = await observeShedding(fetched(`${lb.url}/things`), fetched(`${lb.url}/lb/healthz`));
      expect(seen).toMatchObject({ shed: OVERLOADED, probe: { status: 200 }, recovered: { status: 200 } });
      // Its admin app sheds too (the same shedder), probes and metrics excepted.
      const admin = await observeShedding(injected(lb.app, '/admin/lb'), injected(lb.app, '/healthz'));
      expect(admin).toMatchObject({ shed: OVERLOADED, probe: { status: 200 }, recovered: { status: 200 } });
    } finally {
      await lb.close();
      await upstream.stop();
    }
  });
});
