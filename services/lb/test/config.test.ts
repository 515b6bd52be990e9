import { loadConfig, type ConfigError } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { checkLbConfig, LbConfigSchema } from '../src/config.js';

describe('config', () => {
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
      lbWorkers: 1,
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

  it('lists at boot what the schema cannot check: a non-prime Maglev size, an unknown route strategy, a bad url', () => {
    const env = { MAGLEV_TABLE_SIZE: '65536', ROUTES: '/x=fastest,/y=maglev', STATIC_UPSTREAMS: 'a=http://[bad' };
    try {
      loadConfig(LbConfigSchema, env, checkLbConfig);
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key)).toEqual([
        'MAGLEV_TABLE_SIZE',
        'STATIC_UPSTREAMS',
        'ROUTES',
      ]);
    }
    expect(checkLbConfig(loadConfig(LbConfigSchema, { ROUTES: '/y=maglev' }))).toEqual([]);
  });

  it('refuses LB_WORKERS > 1 on PROXY_PORT=0 (each worker would get a port of its own)', () => {
    const issues = checkLbConfig(loadConfig(LbConfigSchema, { LB_WORKERS: '2', PROXY_PORT: '0' }));
    expect(issues.map((i) => i.key)).toEqual(['PROXY_PORT']);
    expect(checkLbConfig(loadConfig(LbConfigSchema, { LB_WORKERS: '2' }))).toEqual([]);
    expect(() => loadConfig(LbConfigSchema, { LB_WORKERS: '0' })).toThrow(/LB_WORKERS/);
  });
});
