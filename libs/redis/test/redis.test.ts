import { createLogger } from '@sdl/logging';
import { startRedis, type Started } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedisClient, loadRedisScript } from '../src/index.js';

const logger = createLogger({ name: 'redis-test', level: 'silent' });

describe('redis lib against a real Redis', () => {
  let server: Started;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  it('runs a script by SHA and reloads it after SCRIPT FLUSH', async () => {
    const redis = createRedisClient({ url: server.url, timeoutMs: 500, logger, name: 'test' });
    // No offline queue: commands sent before the connection is ready fail at once, by design.
    await new Promise((resolve) => redis.once('ready', resolve));
    const script = loadRedisScript('incr-by', new URL('./scripts/', import.meta.url));
    expect(await script.run(redis, ['k'], [2])).toBe(2);
    await redis.script('FLUSH');
    expect(await script.run(redis, ['k'], [3])).toBe(5);
    await closeRedis(redis);
  });

  it('fails fast instead of queueing while Redis is unreachable', async () => {
    const redis = createRedisClient({ url: 'redis://127.0.0.1:1', timeoutMs: 100, logger, name: 'dead' });
    // Rejected while the client is still (re)connecting: nothing was queued for a later connection.
    // How fast: bench/degraded/fail-fast.ts.
    await expect(redis.get('x')).rejects.toThrow();
    expect(redis.status).not.toBe('ready');
    expect(redis.commandQueue.length).toBe(0);
    await closeRedis(redis);
  });
});
