import { createShardMap } from '@sdl/hashing';
import { describe, expect, it } from 'vitest';
import { accountEvent } from './support/cluster-calls.js';
import { call } from './support/http.js';
import { execIn } from './support/lab.js';

const shardMap = createShardMap(2);

async function countOnShard(shard: number, sql: string): Promise<number> {
  const out = await execIn(`pg-${shard}-primary`, ['psql', '-U', 'lab', '-d', 'lab', '-tAc', sql], 30_000);
  return Number(out.trim());
}

describe('accounts through gateway -> lb -> api -> Postgres shard + Redis + outbox -> Kafka', () => {
  it('creates an account on the shard its id hashes to, with an outbox row, and reads it from the cache', async () => {
    const created = await call('POST', '/v1/accounts', {
      body: { email: 'ada@example.com', name: 'Ada' },
      headers: { 'x-request-id': 'e2e-accounts-1' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('e2e-accounts-1');
    expect(created.headers.get('x-upstream')).toMatch(/^api-[123]$/);
    const id = String(created.body.id);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    const { shard } = shardMap.shardOf(id);
    expect(created.headers.get('x-shard')).toBe(String(shard));

    // On exactly that shard's primary, with its outbox row committed alongside.
    expect(await countOnShard(shard, `select count(*) from accounts where id = '${id}'`)).toBe(1);
    expect(await countOnShard(1 - shard, `select count(*) from accounts where id = '${id}'`)).toBe(0);
    expect(await countOnShard(shard, `select count(*) from outbox where aggregate_id = '${id}'`)).toBe(1);

    const first = await call('GET', `/v1/accounts/${id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id, email: 'ada@example.com', name: 'Ada' });
    expect(first.headers.get('x-shard')).toBe(String(shard));
    // Write-through: the create already filled the cache, so every read is a hit.
    expect(first.headers.get('x-cache')).toBe('hit');
    const second = await call('GET', `/v1/accounts/${id}`);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body).toEqual(first.body);
  });

  it('reads through the cache on a miss: the first read after eviction misses, the second hits', async () => {
    const created = await call('POST', '/v1/accounts', { body: { email: 'bob@example.com', name: 'Bob' } });
    const id = String(created.body.id);
    await execIn('redis-cache', ['redis-cli', 'DEL', `account:${id}`]);
    const miss = await call('GET', `/v1/accounts/${id}`);
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('miss');
    const hit = await call('GET', `/v1/accounts/${id}`);
    expect(hit.headers.get('x-cache')).toBe('hit');
    expect(hit.body).toEqual(miss.body);
  });

  it('publishes the account.created event to Kafka through the outbox relay', async () => {
    const created = await call('POST', '/v1/accounts', { body: { email: 'eve@example.com', name: 'Eve' } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const event = await accountEvent(id);
    expect(event.key).toBe(id);
    const value = JSON.parse(event.value) as Record<string, unknown>;
    expect(value).toMatchObject({ type: 'account.created', aggregateId: id });
    expect(value.eventId).toEqual(expect.any(String));
  });

  it('answers 404 with a code for a well-formed id that does not exist', async () => {
    const res = await call('GET', '/v1/accounts/acc_00000000000000000000000000');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('API_ERR_ACCOUNT_NOT_FOUND');
  });
});
