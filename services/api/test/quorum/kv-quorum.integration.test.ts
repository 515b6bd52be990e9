import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRedisClient, closeRedis, type Redis } from '@sdl/redis';
import { startRedis, startTcpProxy, type Started, type TcpProxy } from '@sdl/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareVersions } from '../../src/quorum/hybrid-logical-clock.js';
import { buildTestApp, metricValue, testLogger, UNREACHABLE_PG, type TestApp } from '../support/helpers.js';

const docker = promisify(execFile);
type Body = Record<string, unknown>;

/** An api node with its own path (a TCP proxy) to each replica, so a replica can be cut off from it alone. */
interface Node {
  readonly test: TestApp;
  readonly app: FastifyInstance;
  readonly paths: readonly TcpProxy[];
}

// Quorums (issue 14) over three real Redis and two api nodes: W + R > N reads see the latest
// acknowledged write with replicas cut off or paused; W + R <= N reads can be stale (made certain:
// the write misses the one replica the read can reach); read repair; too few replicas -> 503.
describe('quorum key-value store over three Redis', () => {
  let replicas: Started[] = [];
  let direct: Redis[] = [];
  const nodes: Node[] = [];

  const startNode = async (id: string): Promise<Node> => {
    const paths = await Promise.all(
      replicas.map((r) => startTcpProxy({ host: '127.0.0.1', port: Number(new URL(r.url).port) })),
    );
    const test = await buildTestApp({
      NODE_ID: id,
      SHARD_PRIMARIES: UNREACHABLE_PG,
      PG_CONNECT_TIMEOUT_MS: '500',
      REDIS_LOCK_URLS: paths.map((p) => `redis://127.0.0.1:${p.port}`).join(','),
      REDIS_TIMEOUT_MS: '200',
    });
    return { test, app: test.app, paths };
  };

  beforeAll(async () => {
    replicas = await Promise.all([startRedis(), startRedis(), startRedis()]);
    direct = replicas.map((r, i) =>
      createRedisClient({ url: r.url, timeoutMs: 2000, logger: testLogger(), name: `kv-test-${i}` }),
    );
    nodes.push(await startNode('api-a'), await startNode('api-b'));
    await Promise.all(nodes.map((n) => n.app.ready()));
    // Ready when every node reaches all three replicas (its clients connect in the background).
    for (const node of nodes) {
      await vi.waitFor(async () => {
        const probe = await node.app.inject({ method: 'GET', url: '/v1/kv/probe?r=3' });
        expect(probe.statusCode).toBe(404);
      });
    }
  });

  afterEach(() => {
    for (const node of nodes) for (const path of node.paths) path.thaw();
  });

  afterAll(async () => {
    for (const node of nodes) {
      await node.app.close();
      await Promise.all(node.paths.map((p) => p.close()));
    }
    await Promise.all(direct.map((r) => closeRedis(r)));
    await Promise.all(replicas.map((r) => r.stop()));
  });

  const [a, b] = [0, 1];
  const put = (node: number, key: string, value: string, query = '', tenant = 'alpha') =>
    nodes[node]!.app.inject({
      method: 'PUT',
      url: `/v1/kv/${key}${query}`,
      payload: { value },
      headers: { 'x-tenant-id': tenant },
    });
  const get = (node: number, key: string, query = '', tenant = 'alpha') =>
    nodes[node]!.app.inject({ method: 'GET', url: `/v1/kv/${key}${query}`, headers: { 'x-tenant-id': tenant } });
  /** Cuts `node` off from these replicas (its requests wait in the proxy; the replica never sees them). */
  const cut = (node: number, ...cutReplicas: number[]) => {
    for (const i of cutReplicas) nodes[node]!.paths[i]!.freeze();
  };
  const stored = (replica: number, key: string) => direct[replica]!.hget(`kv:alpha:${key}`, 'value');
  const metric = (node: number, name: string, labels: Record<string, string> = {}) =>
    metricValue(nodes[node]!.test.metrics, name, labels);

  it('W=2, R=2 (W + R > N): a read sees the latest acknowledged write, and repairs the replica behind', async () => {
    const first = await put(a, 'k1', 'v1', '?w=3');
    expect(first.json()).toMatchObject({ key: 'k1', replicas: 3, w: 3, acks: 3 });
    cut(a, 2);
    const second = await put(a, 'k1', 'v2', '?w=2');
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ w: 2, acks: 2 });
    const version = second.json<Body>().version as string;
    expect(compareVersions(version, first.json<Body>().version as string)).toBe(1);
    expect(await stored(2, 'k1')).toBe('v1');

    // b cannot reach replica 0: its two replies are replica 1 (v2) and replica 2 (v1).
    cut(b, 0);
    const read = await get(b, 'k1', '?r=2');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ key: 'k1', value: 'v2', version, replicas: 3, r: 2, answered: 2 });
    await vi.waitFor(async () => {
      expect(await stored(2, 'k1')).toBe('v2');
      expect(await metric(b, 'api_quorum_read_repairs_total', { result: 'ok' })).toBe(1);
    });
    expect(await metric(b, 'api_quorum_stale_replies_total')).toBe(1);
    expect(await metric(b, 'api_quorum_stale_reads_total')).toBe(0);
  });

  it('W=1, R=1 (W + R <= N): a read can return a stale value; R=2 from the same side answers 503 instead', async () => {
    const old = await put(a, 'k2', 'old', '?w=3');
    cut(a, 1, 2);
    const fresh = await put(a, 'k2', 'new', '?w=1');
    expect(fresh.json()).toMatchObject({ w: 1, acks: 1 });
    // b reaches only replica 2, which the acknowledged write never reached.
    cut(b, 0, 1);
    const stale = await get(b, 'k2', '?r=1');
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toMatchObject({ value: 'old', version: old.json<Body>().version, answered: 1 });
    expect(compareVersions(stale.json<Body>().version as string, fresh.json<Body>().version as string)).toBe(-1);
    const quorum = await get(b, 'k2', '?r=2');
    expect(quorum.statusCode).toBe(503);
    expect(quorum.json()).toMatchObject({ code: 'API_ERR_QUORUM_UNAVAILABLE', retriable: true });
  });

  it('a late write never moves a replica back in time', async () => {
    cut(a, 2);
    const late = await put(a, 'k3', 'late', '?w=2');
    expect(late.statusCode).toBe(200);
    const newer = await put(b, 'k3', 'newer', '?w=3');
    expect(compareVersions(newer.json<Body>().version as string, late.json<Body>().version as string)).toBe(1);
    // a's write to replica 2 waited in the proxy; released now, it reaches Redis before a's read.
    nodes[a]!.paths[2]!.thaw();
    const read = await get(a, 'k3', '?r=3');
    expect(read.json()).toMatchObject({ value: 'newer', answered: 3 });
    expect(await Promise.all([0, 1, 2].map((i) => stored(i, 'k3')))).toEqual(['newer', 'newer', 'newer']);
  });

  it('W=2, R=2 still hold with a replica paused (docker pause), for every node', async () => {
    const id = replicas[0]!.container.getId();
    await docker('docker', ['pause', id]);
    try {
      const write = await put(a, 'k4', 'during-pause', '?w=2');
      expect(write.json()).toMatchObject({ acks: 2 });
      const read = await get(b, 'k4', '?r=2');
      expect(read.json()).toMatchObject({ value: 'during-pause', version: write.json<Body>().version });
      const all = await get(b, 'k4', '?r=3');
      expect(all.statusCode).toBe(503);
    } finally {
      await docker('docker', ['unpause', id]);
    }
  });

  it('too few replicas for W: 503 with a stable code and no version claimed', async () => {
    const before = await metric(a, 'api_quorum_operations_total', { op: 'write', result: 'unavailable' });
    cut(a, 1, 2);
    const res = await put(a, 'k5', 'x', '?w=2');
    expect(res.statusCode).toBe(503);
    const problem = res.json<Body>();
    expect(problem).toMatchObject({
      code: 'API_ERR_QUORUM_UNAVAILABLE',
      details: { op: 'write', needed: 2, answered: 1, failed: 2, replicas: 3 },
    });
    expect(problem).not.toHaveProperty('version');
    expect(await metric(a, 'api_quorum_operations_total', { op: 'write', result: 'unavailable' })).toBe(before + 1);
  });

  it('answers bad w, r and keys 400 with stable codes, and a missing key 404', async () => {
    for (const query of ['?w=0', '?w=4', '?w=abc', '?w=-1', '?w=1.5', '?w=']) {
      const res = await put(a, 'k6', 'x', query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ code: 'API_ERR_INVALID_QUORUM' });
    }
    for (const query of ['?r=0', '?r=9', '?r=two']) {
      expect((await get(a, 'k6', query)).json(), query).toMatchObject({ code: 'API_ERR_INVALID_QUORUM' });
    }
    for (const key of ['a%20b', 'a%2Fb', '%C3%A9']) {
      expect((await get(a, key)).json()).toMatchObject({ code: 'API_ERR_INVALID_KV_KEY' });
    }
    const missing = await get(a, 'never-written');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'API_ERR_KV_KEY_NOT_FOUND' });
  });

  it('keeps each tenant in its own key space; the defaults are a majority of N', async () => {
    const mine = await put(a, 'shared-name', 'alpha-secret');
    expect(mine.json()).toMatchObject({ w: 2 });
    expect((await get(b, 'shared-name', '', 'bravo')).statusCode).toBe(404);
    await put(b, 'shared-name', 'bravo-value', '', 'bravo');
    const read = await get(b, 'shared-name');
    expect(read.json()).toMatchObject({ value: 'alpha-secret', r: 2 });
  });
});
