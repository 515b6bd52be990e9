import { ConfigError } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../support/helpers.js';

const PRIMARY = { SHARD_PRIMARIES: 'postgres://a/lab' };

function issueKeys(env: Record<string, string>): string[] {
  try {
    testConfig({ ...PRIMARY, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => i.key).sort();
  }
  return [];
}

describe('cache eviction and stampede settings', () => {
  it('default to an LRU L1 and the fill lease', () => {
    expect(testConfig(PRIMARY)).toMatchObject({ cacheL1Policy: 'lru', cacheStampede: 'lease', cacheXfetchBeta: 1 });
  });

  it('read every policy and stampede mode', () => {
    for (const policy of ['lru', 'lfu', 'fifo', 'lifo', 'mru', 'random']) {
      expect(testConfig({ ...PRIMARY, CACHE_L1_POLICY: policy }).cacheL1Policy).toBe(policy);
    }
    for (const mode of ['lease', 'xfetch', 'none']) {
      expect(testConfig({ ...PRIMARY, CACHE_STAMPEDE: mode }).cacheStampede).toBe(mode);
    }
    expect(testConfig({ ...PRIMARY, CACHE_XFETCH_BETA: '2.5' }).cacheXfetchBeta).toBe(2.5);
  });

  it('refuse an unknown policy or mode and a beta that is not positive, naming each key', () => {
    expect(issueKeys({ CACHE_L1_POLICY: 'clock', CACHE_STAMPEDE: 'probabilistic', CACHE_XFETCH_BETA: '0' })).toEqual([
      'CACHE_L1_POLICY',
      'CACHE_STAMPEDE',
      'CACHE_XFETCH_BETA',
    ]);
  });
});
