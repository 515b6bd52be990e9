import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig } from '../src/index.js';

const schema = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  redisUrl: Type.String({ minLength: 1 }),
  apiKeys: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  logLevel: Type.Union([Type.Literal('info'), Type.Literal('debug')], { default: 'info' }),
  shardMap: Type.Object({ shards: Type.Integer() }, { default: { shards: 2 } }),
});

describe('loadConfig', () => {
  it('maps camelCase properties to UPPER_SNAKE variables', () => {
    expect(envName('redisUrl')).toBe('REDIS_URL');
    expect(envName('billingLeaseTtlMs')).toBe('BILLING_LEASE_TTL_MS');
  });

  it('applies defaults and converts types', () => {
    const cfg = loadConfig(schema, { REDIS_URL: 'redis://x:6379', API_KEYS: 'a, b,,c', PORT: '8080' });
    expect(cfg).toEqual({
      port: 8080,
      redisUrl: 'redis://x:6379',
      apiKeys: ['a', 'b', 'c'],
      logLevel: 'info',
      shardMap: { shards: 2 },
    });
  });

  it('lists every bad key at once', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { PORT: 'abc', LOG_LEVEL: 'loud', SHARD_MAP: '{nope' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const keys = (caught as ConfigError).issues.map((i) => i.key).sort();
    expect(keys).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_URL', 'SHARD_MAP']);
    expect((caught as ConfigError).message).toContain('PORT');
  });

  it('runs cross-field checks on a valid config only, and reports their issues as ConfigError', () => {
    const check = (c: { apiKeys: string[] }) =>
      c.apiKeys.length === 2 ? [] : [{ key: 'API_KEYS', message: 'needs exactly two keys' }];
    expect(loadConfig(schema, { REDIS_URL: 'redis://x', API_KEYS: 'a,b' }, check).apiKeys).toEqual(['a', 'b']);
    expect(() => loadConfig(schema, { REDIS_URL: 'redis://x', API_KEYS: 'a' }, check)).toThrow(
      expect.objectContaining({ issues: [{ key: 'API_KEYS', message: 'needs exactly two keys' }] }),
    );
    // A schema error wins: the check never sees a half-valid config.
    let checked = false;
    expect(() =>
      loadConfig(schema, { PORT: 'abc', REDIS_URL: 'redis://x' }, () => {
        checked = true;
        return [];
      }),
    ).toThrow(ConfigError);
    expect(checked).toBe(false);
  });

  it('reads NAME_FILE (a Compose secret) when NAME is unset, and never echoes the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdl-config-'));
    try {
      writeFileSync(join(dir, 'url'), 'redis://secret-host:6379\n');
      writeFileSync(join(dir, 'keys'), 'a:s3cret-one,b:s3cret-two');
      writeFileSync(join(dir, 'port'), 'not-a-port\n');
      const cfg = loadConfig(schema, { REDIS_URL_FILE: join(dir, 'url'), API_KEYS_FILE: join(dir, 'keys') });
      expect(cfg.redisUrl).toBe('redis://secret-host:6379');
      expect(cfg.apiKeys).toEqual(['a:s3cret-one', 'b:s3cret-two']);
      let caught: unknown;
      try {
        loadConfig(schema, {
          REDIS_URL: 'redis://x',
          REDIS_URL_FILE: join(dir, 'url'),
          API_KEYS_FILE: join(dir, 'missing'),
          PORT_FILE: join(dir, 'port'),
        });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const issues = (caught as ConfigError).issues;
      expect(issues.map((i) => i.key).sort()).toEqual(['API_KEYS_FILE', 'PORT', 'REDIS_URL']);
      expect(JSON.stringify(issues)).not.toMatch(/secret-host|not-a-port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
