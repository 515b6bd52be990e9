import { ConfigError, loadConfig } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { LbConfigSchema } from '../../src/config.js';
import { createStrategy, strategyNames, type Host, type PickContext } from '../../src/strategies/strategy.js';

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
});
