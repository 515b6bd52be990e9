import { startTcpProxy, type TcpProxy } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp } from '../support/helpers.js';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../support/pg-replication.js';

// CAP under a partition: one shard (a real primary streaming to a real hot standby), two api
// nodes, each reaching the primary through its own TCP proxy; freezing a node's proxy cuts that
// node off its primary while it still reaches the replica. `consistency` refuses what it cannot
// prove fresh (503); `availability` serves the replica's copy, labelled `x-stale: true`.
describe('PARTITION_MODE: a node cut off its shard primary', () => {
  let pair: ReplicatedPostgres;
  const proxies: TcpProxy[] = [];
  const apps: Partial<Record<'consistency' | 'availability', FastifyInstance>> = {};
  let accountId = '';

  const node = async (mode: 'consistency' | 'availability') => {
    const primary = new URL(pair.primaryUrl);
    const proxy = await startTcpProxy({ host: primary.hostname, port: Number(primary.port) });
    proxies.push(proxy);
    primary.port = String(proxy.port);
    const { app } = await buildTestApp({
      SHARD_PRIMARIES: primary.toString(),
      SHARD_REPLICAS: pair.replicaUrl,
      REPLICA_PROBE_MS: '100',
      PG_CONNECT_TIMEOUT_MS: '1000',
      PG_STATEMENT_TIMEOUT_MS: '2000',
      PARTITION_MODE: mode,
      // The admin app (never listened here: the test injects into it) holds /admin/settings.
      ADMIN_PORT: '9902',
    });
    await app.ready();
    return { app, proxy };
  };
  const get = (app: FastifyInstance) => app.inject({ method: 'GET', url: `/v1/accounts/${accountId}` });

  beforeAll(async () => {
    pair = await startReplicatedPostgres();
    const consistency = await node('consistency');
    const availability = await node('availability');
    apps.consistency = consistency.app;
    apps.availability = availability.app;
    const created = await consistency.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: 'cap@example.com', name: 'before the cut' },
    });
    expect(created.statusCode).toBe(201);
    accountId = created.json<{ id: string }>().id;
    // The replica has the row before the cut (both nodes read it from the primary meanwhile).
    await vi.waitFor(
      async () => {
        const res = await get(availability.app);
        expect(res.statusCode).toBe(200);
      },
      { timeout: 30_000, interval: 200 },
    );
    for (const proxy of proxies) proxy.freeze();
  }, 180_000);

  afterAll(async () => {
    for (const proxy of proxies) proxy.thaw();
    await apps.consistency?.close();
    await apps.availability?.close();
    for (const proxy of proxies) await proxy.close();
    await pair?.stop();
  });

  it('consistency first: a read it cannot prove fresh is refused, 503 API_ERR_SHARD_UNAVAILABLE', async () => {
    const res = await get(apps.consistency!);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE' });
    expect(res.headers['x-stale']).toBeUndefined();
  });

  it('availability first: the replica answers, labelled x-stale: true and x-read-from: replica', async () => {
    const res = await get(apps.availability!);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: accountId, email: 'cap@example.com', name: 'before the cut' });
    expect(res.headers['x-stale']).toBe('true');
    expect(res.headers['x-read-from']).toBe('replica');
  });

  it('availability first: writes still need the primary (503), and a missing id is still a 404', async () => {
    const write = await apps.availability!.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { email: 'cut@example.com', name: 'during the cut' },
    });
    expect(write.statusCode).toBe(503);
    const missing = await apps.availability!.inject({ method: 'GET', url: '/v1/accounts/acc_0000000000000000' });
    expect([400, 404]).toContain(missing.statusCode);
  });

  it('switched at run time (PUT /admin/settings): the consistency node serves the stale copy, DELETE refuses again', async () => {
    const app = apps.consistency!;
    const admin = app.apiAdmin!.app;
    const mode = async () =>
      (await admin.inject({ method: 'GET', url: '/metrics' })).body.match(
        /api_partition_mode_info\{[^}]*mode="(\w+)"[^}]*\} 1/,
      )?.[1];
    expect(await mode()).toBe('consistency');

    const bad = await admin.inject({ method: 'PUT', url: '/admin/settings', payload: { partitionMode: 'both' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'ERR_VALIDATION' });
    const unknown = await admin.inject({
      method: 'PUT',
      url: '/admin/settings',
      payload: { partition: 'availability' },
    });
    expect(unknown.statusCode).toBe(400);
    const empty = await admin.inject({ method: 'PUT', url: '/admin/settings', payload: {} });
    expect(empty.statusCode).toBe(400);
    expect((await get(app)).statusCode).toBe(503);

    const put = await admin.inject({
      method: 'PUT',
      url: '/admin/settings',
      payload: { partitionMode: 'availability' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ partitionMode: 'availability' });
    expect(await mode()).toBe('availability');
    const stale = await get(app);
    expect(stale.statusCode).toBe(200);
    expect(stale.headers['x-stale']).toBe('true');

    const reset = await admin.inject({ method: 'DELETE', url: '/admin/settings' });
    expect(reset.json()).toMatchObject({ partitionMode: 'consistency' });
    expect((await admin.inject({ method: 'GET', url: '/admin/settings' })).json()).toMatchObject({
      partitionMode: 'consistency',
    });
    expect(await mode()).toBe('consistency');
    expect((await get(app)).statusCode).toBe(503);
  });
});
