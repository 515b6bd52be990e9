import { createCoordinator, type Coordinator } from '@sdl/coord';
import { createLogger } from '@sdl/logging';
import { createShardEndpointStore, endpointOf } from '@sdl/db';
import { startAll, startEtcd, startPostgres, type Started } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordingWork } from '../support/fakes.js';
import { buildTestApp, sample } from '../support/helpers.js';

// A billing replica's shard pools follow a failover's endpoint in etcd, as the api nodes do
// (`./lab shard promote N`): no restart, the pool is made anew to the new host.
describe('billing shard primaries repointed through etcd', () => {
  let before: Started;
  let after: Started;
  let etcd: Started;
  let coordinator: Coordinator;
  let app: FastifyInstance;

  beforeAll(async () => {
    [before, after, etcd] = await startAll(startPostgres, startPostgres, startEtcd);
    const marker = new pg.Client({ connectionString: after.url });
    await marker.connect();
    await marker.query('CREATE TABLE promoted_marker (id int)');
    await marker.end();
    coordinator = createCoordinator({ endpoints: [etcd.url], logger: createLogger({ name: 't', level: 'silent' }) });
    ({ app } = await buildTestApp(
      { NODE_ID: 'billing-repoint', SHARD_PRIMARIES: before.url, ETCD_ENDPOINTS: etcd.url },
      { work: recordingWork() },
    ));
    await app.ready();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await coordinator?.close();
    await Promise.all([before?.stop(), after?.stop(), etcd?.stop()]);
  });

  const primaryInfo = async (host: string) =>
    sample((await app.inject({ method: 'GET', url: '/metrics' })).body, 'billing_shard_primary_info', {
      shard: '0',
      host,
    });
  const hasMarker = async () =>
    (
      await app
        .shardPrimaries!.pool(0)
        .query<{ ok: boolean }>("SELECT to_regclass('promoted_marker') IS NOT NULL AS ok")
    ).rows[0]?.ok;

  it('charges the shard on the server etcd names, with the configured credentials', async () => {
    expect(await primaryInfo(endpointOf(before.url))).toBe(1);
    expect(await hasMarker()).toBe(false);
    await createShardEndpointStore({ source: coordinator, shardCount: 1 }).publish(0, {
      primary: endpointOf(after.url),
      replica: null,
      epoch: 'promote-1',
    });
    await vi.waitFor(async () => expect(await primaryInfo(endpointOf(after.url))).toBe(1), { timeout: 30_000 });
    expect(await primaryInfo(endpointOf(before.url))).toBeUndefined();
    expect(await hasMarker()).toBe(true);
  });
});
