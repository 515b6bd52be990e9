import { ConfigError } from '@sdl/config';
import { describe, expect, it } from 'vitest';
import { buildTestApp, testConfig, UNREACHABLE_PG } from '../support/helpers.js';

const LOCKS = 'redis://r1:6379,redis://r2:6379,redis://r3:6379';

function configError(env: Record<string, string>): ConfigError {
  try {
    testConfig({ SHARD_PRIMARIES: UNREACHABLE_PG, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('quorum settings and routes', () => {
  it('leaves W and R to a majority of N unless set, and refuses W or R above N', () => {
    const config = testConfig({ SHARD_PRIMARIES: UNREACHABLE_PG, REDIS_LOCK_URLS: LOCKS });
    expect(config.quorumW).toBeUndefined();
    expect(config.quorumR).toBeUndefined();
    expect(
      testConfig({ SHARD_PRIMARIES: UNREACHABLE_PG, REDIS_LOCK_URLS: LOCKS, QUORUM_W: '3', QUORUM_R: '1' }),
    ).toMatchObject({ quorumW: 3, quorumR: 1 });
    const err = configError({ REDIS_LOCK_URLS: LOCKS, QUORUM_W: '4', QUORUM_R: '5' });
    expect(err.issues.map((i) => i.key).sort()).toEqual(['QUORUM_R', 'QUORUM_W']);
    expect(configError({ QUORUM_R: '1' }).issues.map((i) => i.key)).toEqual(['QUORUM_R']);
    expect(configError({ REDIS_LOCK_URLS: LOCKS, QUORUM_W: '0' }).issues.map((i) => i.key)).toEqual(['QUORUM_W']);
  });

  it('documents PUT and GET /v1/kv/{key} with w and r, and answers 503 API_ERR_QUORUM_DISABLED without replicas', async () => {
    const { app } = await buildTestApp({ SHARD_PRIMARIES: UNREACHABLE_PG, PG_CONNECT_TIMEOUT_MS: '500' });
    try {
      const doc = (await app.inject('/v1/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
      const kv = doc.paths['/v1/kv/{key}'];
      expect(Object.keys(kv ?? {}).sort()).toEqual(['get', 'put']);
      expect(kv?.put).toMatchObject({
        parameters: [
          { name: 'key', in: 'path' },
          { name: 'w', in: 'query' },
        ],
      });
      expect(kv?.get).toMatchObject({
        parameters: [
          { name: 'key', in: 'path' },
          { name: 'r', in: 'query' },
        ],
      });
      const res = await app.inject({ method: 'GET', url: '/v1/kv/some-key' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'API_ERR_QUORUM_DISABLED', retriable: false });
    } finally {
      await app.close();
    }
  });
});
