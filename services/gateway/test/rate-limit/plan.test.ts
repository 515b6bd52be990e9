import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type Started } from '@sdl/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startRateLimiter, startUpstream, type Listening, type Upstream } from '../support/servers.js';

// A client's plan (API_KEYS `name@plan:secret`) travels to the ratelimiter as a descriptor, where
// a rule matching on it decides.
describe('plan descriptor', () => {
  let redis: Started;
  let upstream: Upstream;
  let limiter: Listening;
  let gateway: Listening;
  const dir = mkdtempSync(join(tmpdir(), 'sdl-plan-'));

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startUpstream();
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(
      rulesFile,
      JSON.stringify({
        rules: [
          { name: 'free-plan', match: { plan: 'free' }, algorithm: 'fixed-window', limit: 2, windowMs: 60000 },
          { name: 'default', algorithm: 'fixed-window', limit: 1000, windowMs: 60000 },
        ],
      }),
    );
    limiter = await startRateLimiter({ REDIS_URL: redis.url, RULES_FILE: rulesFile });
    gateway = await startGateway({
      LB_URL: upstream.url,
      RATELIMITER_URL: limiter.url,
      API_KEYS: 'trial@free:k-free,corp@enterprise:k-corp',
    });
  });

  afterAll(async () => {
    await gateway?.app.close();
    await limiter?.app.close();
    await upstream?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (key: string) => request(`${gateway.url}/v1/things`, { headers: { 'x-api-key': key } });

  it('limits the free plan by its rule and leaves the other plan alone', async () => {
    const free: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await get('k-free');
      free.push(res.statusCode);
      if (res.statusCode === 429) expect(String(res.headers['ratelimit-policy'])).toContain('free-plan');
      await res.body.dump();
    }
    expect(free).toEqual([200, 200, 429, 429]);
    for (let i = 0; i < 4; i++) {
      const res = await get('k-corp');
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
  });
});
