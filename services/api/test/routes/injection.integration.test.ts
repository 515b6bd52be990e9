import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { expandCorpus, readCorpus } from '@sdl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/helpers.js';
import { startShardedStack, type ShardedStack } from '../support/sharded-stack.js';

interface Body {
  [key: string]: unknown;
}

// SQL-injection payloads in every path, query and body parameter of the v1 API, against two real
// shards and Redis: each answer is a 4xx with a code, and the databases do not change.
describe('SQL injection against every parameter', () => {
  let stack: ShardedStack | undefined;
  let app: FastifyInstance;
  let db: readonly pg.Pool[] = [];
  let accountId = '';
  let postId = '';

  beforeAll(async () => {
    stack = await startShardedStack();
    db = stack.db;
    ({ app } = await buildTestApp({ ...stack.env }));
    await app.ready();
    accountId = (await call('POST', '/v1/accounts', { email: 'vic@example.com', name: 'Vic' })).json<Body>()
      .id as string;
    const post = await call('POST', `/v1/accounts/${accountId}/posts`, { title: 'Hello', body: 'World' });
    postId = post.json<Body>().id as string;
    await call('POST', `/v1/accounts/${accountId}/subscriptions`, { plan: 'basic' });
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Body }) });

  it('answers SQL-injection payloads in every parameter with a 4xx code and changes nothing', async () => {
    const snapshot = async () =>
      Promise.all(
        db.map(async (pool) => {
          const { rows } = await pool.query(
            `SELECT (SELECT md5(coalesce(string_agg(id || email || name || updated_at::text, ',' ORDER BY id), '')) FROM accounts) AS a,
                    (SELECT md5(coalesce(string_agg(id || title || body || view_count::text, ',' ORDER BY id), '')) FROM posts) AS p,
                    (SELECT md5(coalesce(string_agg(id || status || plan, ',' ORDER BY id), '')) FROM subscriptions) AS s,
                    (SELECT count(*) FROM charges) AS c, (SELECT count(*) FROM outbox) AS o`,
          );
          return rows[0] as unknown;
        }),
      );
    const before = await snapshot();
    // libs/testing/corpus/sql-injection.jsonl: a new payload is one line there.
    const payloads = readCorpus('sql-injection.jsonl').map((e) =>
      expandCorpus(e.value as string, { ACCOUNT: accountId }),
    );
    expect(payloads.length).toBeGreaterThanOrEqual(10);
    const post = postId;
    const sub = 'sub_00000000000000000000000000';
    const missingAccount = 'acc_00000000000000000000000000';
    for (const raw of payloads) {
      const p = encodeURIComponent(raw);
      const requests: [string, string, unknown?][] = [
        ['GET', `/v1/accounts/${p}`],
        ['PATCH', `/v1/accounts/${p}`, { name: 'x' }],
        ['DELETE', `/v1/accounts/${p}`],
        ['PATCH', `/v1/accounts/${missingAccount}`, { name: raw, email: `${raw}@x` }],
        ['POST', `/v1/accounts/${p}/posts`, { title: 't', body: 'b' }],
        ['POST', `/v1/accounts/${missingAccount}/posts`, { title: raw, body: raw }],
        ['GET', `/v1/accounts/${p}/posts`],
        ['GET', `/v1/accounts/${accountId}/posts?cursor=${p}`],
        ['GET', `/v1/accounts/${accountId}/posts?limit=${p}`],
        ['GET', `/v1/accounts/${accountId}/posts?${p}=1`],
        ['GET', `/v1/accounts/${accountId}/posts/${p}`],
        ['POST', `/v1/accounts/${accountId}/posts/${p}/views`],
        ['GET', `/v1/accounts/${p}/posts/${post}/views`],
        ['POST', `/v1/accounts/${p}/subscriptions`, { plan: 'pro' }],
        ['POST', `/v1/accounts/${missingAccount}/subscriptions`, { plan: raw }],
        ['GET', `/v1/accounts/${accountId}/subscriptions/${p}`],
        ['POST', `/v1/accounts/${accountId}/subscriptions/${p}/cancel`],
        ['GET', `/v1/accounts/${accountId}/subscriptions/${sub}/charges?x=${p}`],
      ];
      for (const [method, url, payload] of requests) {
        const res = await call(method as 'GET', url, payload);
        expect([400, 404, 409, 422], `${method} ${url} -> ${res.statusCode} ${res.body}`).toContain(res.statusCode);
        expect(res.json<{ code: string }>().code).toMatch(/^(API_)?ERR_/);
      }
    }
    expect(await snapshot()).toEqual(before);

    // Stored as text, never as SQL: the payload round-trips byte for byte.
    const name = "Robert'); DROP TABLE accounts;--";
    const created = await call('POST', '/v1/accounts', { email: 'bobby@example.com', name });
    expect(created.statusCode).toBe(201);
    expect((await call('GET', `/v1/accounts/${created.json<Body>().id as string}`)).json()).toMatchObject({ name });
  });
});
