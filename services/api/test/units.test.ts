import { ConfigError } from '@sdl/config';
import { AppError } from '@sdl/errors';
import { describe, expect, it } from 'vitest';
import { createAccountId, isAccountId } from '../src/domain/ids.js';
import { registryEntry } from '../src/app.js';
import { isShardUnavailable, toShardError } from '../src/db/db-errors.js';
import { toMessage } from '../src/outbox/outbox-relay.js';
import { createShardRouter } from '../src/sharding/shard-router.js';
import { testConfig } from './support/helpers.js';

describe('config', () => {
  it('applies the documented defaults and reads comma lists', () => {
    const config = testConfig({ SHARD_PRIMARIES: 'postgres://a/lab, postgres://b/lab' });
    expect(config).toMatchObject({
      port: 3000,
      shardPrimaries: ['postgres://a/lab', 'postgres://b/lab'],
      shardReplicas: [],
      etcdEndpoints: [],
      kafkaBrokers: [],
      registryPrefix: '/sdl/services/api/',
      registryTtlS: 5,
      weight: 1,
      pgPoolMax: 10,
      pgConnectTimeoutMs: 2000,
      pgStatementTimeoutMs: 5000,
      redisTimeoutMs: 100,
      cacheTtlS: 300,
      outboxPollMs: 5000,
      outboxNotify: true,
      outboxBatch: 100,
      accountsTopic: 'accounts.events',
    });
    expect(config.redisCacheUrl).toBeUndefined();
  });

  it('requires at least one shard primary and lists every bad key', () => {
    const err = (() => {
      try {
        testConfig({ PG_POOL_MAX: 'many' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.key).sort()).toEqual(['PG_POOL_MAX', 'SHARD_PRIMARIES']);
  });

  it('builds the registry entry the lb reads', () => {
    const config = testConfig({ SHARD_PRIMARIES: 'postgres://a/lab', NODE_ID: 'api-2', WEIGHT: '3' });
    expect(registryEntry(config)).toEqual({
      key: '/sdl/services/api/api-2',
      value: JSON.stringify({ id: 'api-2', url: 'http://api-2:3000', weight: 3 }),
    });
    const advertised = testConfig({ SHARD_PRIMARIES: 'postgres://a/lab', ADVERTISE_URL: 'http://x:1' });
    expect(JSON.parse(registryEntry(advertised).value)).toMatchObject({ url: 'http://x:1' });
  });
});

describe('account ids', () => {
  it('are acc_ + 26 Crockford base32 chars, unique and time-ordered', () => {
    const ids = Array.from({ length: 1000 }, () => createAccountId());
    for (const id of ids) expect(isAccountId(id)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(createAccountId(1_000) < createAccountId(2_000)).toBe(true);
  });

  it('rejects anything else', () => {
    for (const bad of [
      '',
      'acc_',
      'acc_123',
      `ACC_${'0'.repeat(26)}`,
      `acc_${'I'.repeat(26)}`,
      `acc_${'0'.repeat(27)}`,
    ]) {
      expect(isAccountId(bad)).toBe(false);
    }
  });
});

describe('shard router', () => {
  it('routes every id to the same partition and shard, and spreads ids over shards', () => {
    const router = createShardRouter(2);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const id = createAccountId();
      const route = router.route(id);
      expect(router.route(id)).toEqual(route);
      expect(route.shard).toBe(route.partition < 32 ? 0 : 1);
      seen.add(route.shard);
    }
    expect([...seen].sort()).toEqual([0, 1]);
    expect(router.version).toBe(1);
  });

  it('only applies newer shard maps', () => {
    const router = createShardRouter(2);
    const all0 = { version: 2, assignments: new Array<number>(64).fill(0) };
    expect(router.apply(all0)).toBe(true);
    expect(router.route(createAccountId())).toMatchObject({ shard: 0, mapVersion: 2 });
    expect(router.apply({ version: 2, assignments: new Array<number>(64).fill(1) })).toBe(false);
    expect(router.version).toBe(2);
  });
});

describe('database errors', () => {
  it('maps unreachable shards to a retriable 503 and leaves other errors alone', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const timeout = new Error('timeout exceeded when trying to connect');
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const aggregate = new AggregateError([refused], 'connect failed');
    for (const err of [refused, timeout, shutdown, aggregate]) {
      expect(isShardUnavailable(err)).toBe(true);
      const mapped = toShardError(err, 1);
      expect(mapped).toBeInstanceOf(AppError);
      expect(mapped).toMatchObject({ code: 'API_ERR_SHARD_UNAVAILABLE', statusCode: 503, retriable: true });
    }
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(isShardUnavailable(syntax)).toBe(false);
    expect(toShardError(syntax, 0)).toBe(syntax);
  });
});

describe('outbox messages', () => {
  it('are keyed by aggregate and carry the event id in a header and the body', () => {
    const message = toMessage({
      id: '7',
      eventId: '0b6f2a8e-1f7e-4b8e-9d7a-2f1c3e4d5a6b',
      aggregateType: 'account',
      aggregateId: 'acc_X',
      eventType: 'account.created',
      payload: { id: 'acc_X' },
      createdAt: new Date('2025-01-02T03:04:05.000Z'),
    });
    expect(message.key).toBe('acc_X');
    expect(message.headers).toEqual({
      'event-id': '0b6f2a8e-1f7e-4b8e-9d7a-2f1c3e4d5a6b',
      'event-type': 'account.created',
    });
    expect(JSON.parse(message.value)).toEqual({
      eventId: '0b6f2a8e-1f7e-4b8e-9d7a-2f1c3e4d5a6b',
      type: 'account.created',
      aggregateType: 'account',
      aggregateId: 'acc_X',
      occurredAt: '2025-01-02T03:04:05.000Z',
      data: { id: 'acc_X' },
    });
  });
});

describe('toShardError on bad data', () => {
  it('maps a Postgres data exception (SQLSTATE class 22, e.g. a NUL byte) to 400 ERR_VALIDATION', () => {
    const err = toShardError(
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
      0,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ statusCode: 400, code: 'ERR_VALIDATION' });
  });
});
