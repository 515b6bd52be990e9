import { ConfigError, loadConfig } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { createApiKeys, presentedKey } from '../../src/auth/api-keys.js';
import { checkGatewayConfig, GatewayConfigSchema } from '../../src/config.js';

describe('api keys', () => {
  const keys = createApiKeys(['demo:lab-demo-key', 'limited:lab:limited:key']);

  it('maps a secret to its client name, and nothing else to anything', () => {
    expect(keys.authenticate('lab-demo-key')).toBe('demo');
    expect(keys.authenticate('lab:limited:key')).toBe('limited');
    expect(keys.authenticate('lab-demo-ke')).toBeUndefined();
    expect(keys.authenticate('demo')).toBeUndefined();
    expect(keys.authenticate('')).toBeUndefined();
    expect(keys.authenticate(undefined)).toBeUndefined();
    expect(keys.planOf('demo')).toBeUndefined();
  });

  it('reads a plan from name@plan:secret', () => {
    const keys = createApiKeys(['trial@free:k-1', 'corp@enterprise:k:2']);
    expect(keys.authenticate('k-1')).toBe('trial');
    expect(keys.planOf('trial')).toBe('free');
    expect(keys.authenticate('k:2')).toBe('corp');
    expect(keys.planOf('corp')).toBe('enterprise');
  });

  it('rejects duplicate client names', () => {
    expect(() => createApiKeys(['a:x', 'a:y'])).toThrow(ConfigError);
  });

  it('reports duplicate client names as a config error at boot, naming API_KEYS', () => {
    expect(() => loadConfig(GatewayConfigSchema, { API_KEYS: 'a:x,a:y' }, checkGatewayConfig)).toThrow(/API_KEYS/);
    expect(checkGatewayConfig(loadConfig(GatewayConfigSchema, { API_KEYS: 'a:x,b:y' }))).toEqual([]);
  });

  it('reads x-api-key first, then a Bearer token', () => {
    expect(presentedKey({ 'x-api-key': 'k1', authorization: 'Bearer k2' })).toBe('k1');
    expect(presentedKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(presentedKey({ authorization: 'bearer  k2 ' })).toBe('k2');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});
