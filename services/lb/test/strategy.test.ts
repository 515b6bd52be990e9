import { ConfigError, loadConfig } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { LbConfigSchema } from '../src/config.js';
import { createStrategy, strategyNames, type Host, type PickContext } from '../src/strategy.js';

const ctx: PickContext = { method: 'GET', url: '/', headers: {}, requestId: 'r1' };
const hosts: Host[] = ['a', 'b', 'c'].map((id) => ({ id, url: `http://${id}`, weight: 1, healthy: true, inflight: 0 }));

describe('strategies', () => {
  it('round-robin spreads exactly evenly and in order', () => {
    const rr = createStrategy('round-robin');
    const picks = Array.from({ length: 300 }, () => rr.pick(hosts, ctx)?.id);
    expect(picks.slice(0, 4)).toEqual(['a', 'b', 'c', 'a']);
    for (const id of ['a', 'b', 'c']) expect(picks.filter((p) => p === id)).toHaveLength(100);
  });

  it('each strategy returns one of the candidates, or undefined when there are none', () => {
    for (const name of strategyNames) {
      const strategy = createStrategy(name);
      expect(strategy.name).toBe(name);
      expect(strategy.pick([], ctx)).toBeUndefined();
      for (let i = 0; i < 50; i++) expect(hosts).toContain(strategy.pick(hosts, ctx));
    }
  });

  it('random reaches every host', () => {
    const random = createStrategy('random');
    const seen = new Set(Array.from({ length: 200 }, () => random.pick(hosts, ctx)?.id));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it('an unknown strategy is refused, by the factory and at boot by the config', () => {
    expect(() => createStrategy('nope')).toThrow(/unknown strategy/);
    expect(() => loadConfig(LbConfigSchema, { STRATEGY: 'nope' })).toThrow(ConfigError);
    expect(loadConfig(LbConfigSchema, { STRATEGY: 'random' }).strategy).toBe('random');
  });

  it('config defaults match the README', () => {
    const config = loadConfig(LbConfigSchema, {});
    expect(config).toMatchObject({
      port: 9901,
      proxyPort: 8081,
      etcdEndpoints: [],
      discoveryPrefix: '/sdl/services/api/',
      staticUpstreams: [],
      strategy: 'round-robin',
      healthIntervalMs: 1000,
      healthTimeoutMs: 500,
      healthFall: 2,
      healthRise: 2,
      tryTimeoutMs: 3000,
      connectTimeoutMs: 1000,
      retries: 1,
      routes: [],
      hashKey: 'client',
      trustedHops: 0,
      ringVnodes: 160,
      boundedLoadFactor: 1.25,
      maglevTableSize: 65537,
      panicThresholdPercent: 50,
      slowStartMs: 5000,
      outlierConsecutiveErrors: 5,
      outlierBaseEjectionMs: 30_000,
      outlierMaxEjectionMs: 300_000,
      outlierMaxEjectionPercent: 50,
      retryBudgetPercent: 20,
      retryBudgetMinConcurrent: 10,
    });
  });

  it('bad static upstreams fail at boot with the variable named', () => {
    try {
      loadConfig(LbConfigSchema, { STATIC_UPSTREAMS: 'api-1=http://a:1,broken' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key)).toContain('STATIC_UPSTREAMS');
    }
  });
});
