import { createCoordinator, type Coordinator } from '@sdl/coord';
import { startEtcd, type Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, testLogger, UNREACHABLE_PG } from '../support/helpers.js';

describe('registration in etcd', () => {
  let etcd: Started;
  let observer: Coordinator;
  let app: FastifyInstance | undefined;
  const key = '/sdl/services/api/api-reg';

  beforeAll(async () => {
    etcd = await startEtcd();
    observer = createCoordinator({ endpoints: [etcd.url], logger: testLogger() });
  });
  afterAll(async () => {
    await app?.close();
    await observer?.close();
    await etcd?.stop();
  });

  it('registers only once listening and revokes before closing', async () => {
    // The shards do not matter here: a node registers whether or not its shards are up yet.
    ({ app } = await buildTestApp({
      SHARD_PRIMARIES: UNREACHABLE_PG,
      ETCD_ENDPOINTS: etcd.url,
      NODE_ID: 'api-reg',
      ADVERTISE_URL: 'http://api-reg:3000',
      WEIGHT: '2',
      REGISTRY_TTL_S: '2',
    }));
    await app.ready();
    expect(await observer.get(key)).toBeUndefined();

    await app.listen({ host: '127.0.0.1', port: 0 });
    await vi.waitFor(async () => expect(await observer.get(key)).toBeDefined(), { timeout: 10_000 });
    expect(JSON.parse((await observer.get(key))!)).toEqual({ id: 'api-reg', url: 'http://api-reg:3000', weight: 2 });

    await app.close();
    app = undefined;
    expect(await observer.get(key)).toBeUndefined();
  });
});
