import { createCoordinator, type Coordinator } from '@sdl/coord';
import { partitionOf } from '@sdl/hashing';
import { startEtcd, type Started } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MapUnknownError,
  movePartition,
  unfencePartition,
  type MoveReport,
} from '../../src/sharding/partition-move.js';
import type { MoveRecord } from '../../src/sharding/move-routes.js';
import { createShardMapStore, type ShardMapStore } from '../../src/sharding/shard-map-store.js';
import { buildTestApp, testLogger, type TestApp } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

const PARTITIONS = 64;
const KEY = '/sdl/test/shard-map';

/** Rows of one partition per table on one shard. */
async function rowsOn(stack: ShardedStack, shard: number, partition: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['accounts', 'posts', 'subscriptions']) {
    const { rows } = await stack.db[shard]!.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE partition = $1`,
      [partition],
    );
    counts[table] = rows[0]!.n;
  }
  return counts;
}

describe('moving a partition online, under concurrent writes through two api nodes', () => {
  let stack: ShardedStack;
  let etcd: Started;
  const coordinators: Coordinator[] = [];
  const nodes: TestApp[] = [];
  let store: ShardMapStore;

  const coordinator = (): Coordinator => {
    const c = createCoordinator({ endpoints: [etcd.url], logger: testLogger() });
    coordinators.push(c);
    return c;
  };

  beforeAll(async () => {
    [stack, etcd] = await Promise.all([startShardedStack(), startEtcd()]);
    // A generous Redis timeout: a view increment whose HINCRBY timed out is retried on Postgres and may
    // count twice (documented); that is not what this test is about.
    const env = {
      ...stack.env,
      SHARD_MAP_KEY: KEY,
      VIEWS_FLUSH_MS: '100',
      PG_POOL_MAX: '12',
      REDIS_TIMEOUT_MS: '2000',
    };
    // ADMIN_PORT gives each node its admin app (never listened here: the test injects into it).
    for (const id of ['api-a', 'api-b'])
      nodes.push(await buildTestApp({ ...env, NODE_ID: id, ADMIN_PORT: '9902' }, { coordinator: coordinator() }));
    store = createShardMapStore({ coordinator: coordinator(), key: KEY, shardCount: 2, partitions: PARTITIONS });
  }, 180_000);

  afterAll(async () => {
    for (const node of nodes) await node.app.close();
    await Promise.all(coordinators.map((c) => c.close()));
    await Promise.all([stack?.stop(), etcd?.stop()]);
  });

  it('loses and duplicates nothing acknowledged, and a node on the old map cannot write to the old shard', async () => {
    const [a, b] = nodes as [TestApp, TestApp];
    // Both nodes read version 1 from etcd (the first created it).
    expect((await store.read())?.map.version).toBe(1);
    const accounts: string[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await a.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: { email: `m${i}@lab.test`, name: 'n' },
      });
      expect(res.statusCode).toBe(201);
      accounts.push(res.json<{ id: string }>().id);
    }
    // The shard-0 partition with the most accounts moves to shard 1.
    const byPartition = new Map<number, string[]>();
    for (const id of accounts)
      byPartition.set(partitionOf(id, PARTITIONS), [...(byPartition.get(partitionOf(id, PARTITIONS)) ?? []), id]);
    const [partition, members] = [...byPartition]
      .filter(([p]) => p < PARTITIONS / 2)
      .sort((x, y) => y[1].length - x[1].length)[0]!;
    expect(members.length).toBeGreaterThanOrEqual(2);

    const acked = { posts: new Set<string>(), views: new Map<string, number>(), names: new Map<string, string>() };
    const failures: string[] = [];
    let stop = false;
    const post = await a.app.inject({
      method: 'POST',
      url: `/v1/accounts/${members[0]}/posts`,
      payload: { title: 't', body: 'b' },
    });
    const viewed = `/v1/accounts/${members[0]}/posts/${post.json<{ id: string }>().id}/views`;
    // Each worker owns one account's name, so "the last acknowledged name" is well defined.
    const worker = async (w: number): Promise<void> => {
      const node = w % 2 === 0 ? a : b;
      const owned = members[w % members.length]!;
      for (let i = 0; !stop; i++) {
        const target = members[i % members.length]!;
        const ops = [
          node.app.inject({
            method: 'POST',
            url: `/v1/accounts/${target}/posts`,
            payload: { title: `w${w}-${i}`, body: 'b' },
          }),
          node.app.inject({ method: 'POST', url: viewed }),
          w < members.length
            ? node.app.inject({ method: 'PATCH', url: `/v1/accounts/${owned}`, payload: { name: `w${w}-${i}` } })
            : undefined,
        ];
        const [created, view, renamed] = await Promise.all(ops);
        if (created!.statusCode === 201) acked.posts.add(created!.json<{ id: string }>().id);
        else failures.push(`post ${created!.statusCode} ${created!.body}`);
        if (view!.statusCode < 300) acked.views.set(viewed, (acked.views.get(viewed) ?? 0) + 1);
        else failures.push(`view ${view!.statusCode} ${view!.body}`);
        if (renamed !== undefined) {
          if (renamed.statusCode === 200) acked.names.set(owned, `w${w}-${i}`);
          else failures.push(`rename ${renamed.statusCode} ${renamed.body}`);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    await vi.waitFor(() => expect(acked.posts.size).toBeGreaterThan(20), { timeout: 30_000 });
    let report: MoveReport;
    try {
      report = await movePartition({
        primaries: stack.db,
        store,
        partition,
        to: 1,
        logger: testLogger(),
        cleanupGraceMs: 300,
      });
      const after = acked.posts.size;
      await vi.waitFor(() => expect(acked.posts.size).toBeGreaterThan(after + 20), { timeout: 30_000 });
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ partition, from: 0, to: 1, version: 2 });
    console.log(`partition move: ${JSON.stringify(report)}`);

    // Both nodes route by the new map, and every account of the partition reads from shard 1.
    await vi.waitFor(async () => {
      for (const node of nodes)
        expect((await node.app.inject({ url: `/v1/accounts/${members[0]}` })).headers['x-shard']).toBe('1');
    });
    expect(await rowsOn(stack, 0, partition)).toEqual({ accounts: 0, posts: 0, subscriptions: 0 });
    const { rows } = await stack.db[1]!.query<{ id: string }>('SELECT id FROM posts WHERE partition = $1', [partition]);
    const stored = new Set(rows.map((r) => r.id));
    // Every acknowledged post is there (one post was made before the workers; ids are primary keys).
    expect([...acked.posts].filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(acked.posts.size + 1);
    for (const [id, name] of acked.names) {
      const res = await a.app.inject({ url: `/v1/accounts/${id}` });
      expect(res.json()).toMatchObject({ name });
    }
    // Write-back counters flushed across the move: every acknowledged view counted once.
    await vi.waitFor(
      async () => {
        const res = await b.app.inject({ url: viewed });
        expect(res.json()).toMatchObject({ views: acked.views.get(viewed) });
      },
      { timeout: 10_000 },
    );

    // A node that never saw the new map (no etcd) writes to shard 0, which refuses: 503, nothing written.
    const stale = await buildTestApp({ ...stack.env, NODE_ID: 'api-stale', VIEWS_MODE: 'off' });
    try {
      const res = await stale.app.inject({
        method: 'PATCH',
        url: `/v1/accounts/${members[0]}`,
        payload: { name: 'stale' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'API_ERR_PARTITION_MOVING', retriable: true });
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await stale.app.close();
    }
    expect((await a.app.inject({ url: `/v1/accounts/${members[0]}` })).json()).not.toMatchObject({ name: 'stale' });
  }, 180_000);

  it('keeps the fence when etcd loses its answer to the switch: done if the map switched, fenced if unknown', async () => {
    const fenceOf = async (shard: number, p: number) =>
      (await stack.db[shard]!.query('SELECT moved_to FROM partition_fences WHERE partition = $1', [p])).rows.length;
    const onShard0 = (await store.read())!.map.assignments.flatMap((s, p) => (s === 0 ? [p] : []));
    const [first, second] = onShard0 as [number, number];

    // The switch happened, but its answer was lost: the move must see that and finish.
    const lostAnswer = {
      read: () => store.read(),
      swap: async (...args: Parameters<ShardMapStore['swap']>) => {
        await store.swap(...args);
        throw new Error('deadline exceeded');
      },
    };
    const done = await movePartition({
      primaries: stack.db,
      store: lostAnswer,
      partition: first,
      to: 1,
      logger: testLogger(),
      cleanupGraceMs: 0,
    });
    expect((await store.read())!.map.assignments[first]).toBe(1);
    expect(done.version).toBe((await store.read())!.map.version);
    expect(await fenceOf(0, first)).toBe(1);

    // Neither the switch nor a read back answered: the outcome is unknown, so the fence stays.
    const version = (await store.read())!.map.version;
    let reads = 0;
    const etcdGone = {
      read: async () => {
        reads += 1;
        if (reads > 1) throw new Error('etcd unreachable');
        return store.read();
      },
      swap: async () => {
        throw new Error('deadline exceeded');
      },
    };
    await expect(
      movePartition({
        primaries: stack.db,
        store: etcdGone,
        partition: second,
        to: 1,
        logger: testLogger(),
        cleanupGraceMs: 0,
      }),
    ).rejects.toBeInstanceOf(MapUnknownError);
    expect((await store.read())!.map).toMatchObject({ version });
    expect(await fenceOf(0, second)).toBe(1);
    // Writes to it now fail closed until the operator lifts the fence (the map still names shard 0).
    expect(await unfencePartition(stack.db, store, second)).toBe(1);
    expect(await fenceOf(0, second)).toBe(0);
  }, 120_000);

  it('moves a partition from the admin listener (the console action): 202 at once, listed until done, one at a time', async () => {
    const admin = nodes[0]!.app.apiAdmin!.app;
    const post = (payload: Record<string, unknown>) =>
      admin.inject({ method: 'POST', url: '/admin/partition-moves', payload });
    const moves = async () =>
      (await admin.inject({ url: '/admin/partition-moves' })).json<{ moves: MoveRecord[] }>().moves;
    const { assignments } = (await store.read())!.map;
    const [partition, other] = assignments.flatMap((s, p) => (s === 0 ? [p] : [])) as [number, number];

    // Input it cannot act on: a clear 4xx with a stable code, and nothing starts.
    expect((await post({ partition: 'five', toShard: 1 })).json()).toMatchObject({
      status: 400,
      code: 'ERR_VALIDATION',
    });
    expect((await post({ partition, toShard: 1, force: true })).statusCode).toBe(400);
    expect((await post({ partition: PARTITIONS, toShard: 1 })).json()).toMatchObject({ code: 'API_ERR_BAD_MOVE' });
    expect((await post({ partition, toShard: 2 })).json()).toMatchObject({ code: 'API_ERR_BAD_MOVE' });
    expect((await post({ partition, toShard: 0 })).json()).toMatchObject({
      status: 409,
      code: 'API_ERR_ALREADY_ON_SHARD',
    });
    expect(await moves()).toEqual([]);

    const started = await post({ partition, toShard: 1 });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ id: 1, partition, from: 0, to: 1, state: 'running' });
    // The move waits its cleanup grace (2 s) before it ends: a second one now is refused.
    expect((await post({ partition: other, toShard: 1 })).json()).toMatchObject({
      status: 409,
      code: 'API_ERR_MOVE_IN_PROGRESS',
    });

    await vi.waitFor(async () => expect((await moves())[0]?.state).toBe('done'), { timeout: 60_000, interval: 250 });
    expect((await moves())[0]).toMatchObject({ id: 1, report: { partition, from: 0, to: 1 } });
    expect((await store.read())!.map.assignments[partition]).toBe(1);
    expect(await rowsOn(stack, 0, partition)).toEqual({ accounts: 0, posts: 0, subscriptions: 0 });
  }, 120_000);
});
