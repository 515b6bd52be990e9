#!/usr/bin/env node
// Rebuilds the Bloom filters from the database, run inside an api container (`./lab bloom rebuild`):
// it reads the node's own environment (SHARD_PRIMARIES, REDIS_CACHE_URL, BLOOM_EXPECTED_ITEMS,
// BLOOM_FALSE_POSITIVE_RATE), so it fills the very filters the nodes check. Progress is logged on
// stderr; one JSON report per entity goes to stdout.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@sdl/config';
import { AppError } from '@sdl/errors';
import { createLogger } from '@sdl/logging';
import { closeRedis, createRedisClient } from '@sdl/redis';
import pg from 'pg';
import { ApiConfigSchema } from '../config.js';
import { BLOOM_ENTITIES, rebuildBloomFilter, type BloomEntity } from '../bloom-filter/bloom-rebuild.js';
import { bloomSizing } from '../bloom-filter/bloom-sizing.js';

const USAGE = `usage: bloom-rebuild [account|post|subscription ...] [--expected-items N] [--false-positive-rate P]
  (no entity: all three; n and p default to BLOOM_EXPECTED_ITEMS and BLOOM_FALSE_POSITIVE_RATE)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'expected-items': { type: 'string' }, 'false-positive-rate': { type: 'string' } },
});

async function main(): Promise<number> {
  const entities = positionals.length === 0 ? (Object.keys(BLOOM_ENTITIES) as BloomEntity[]) : positionals;
  if (!entities.every((e): e is BloomEntity => e in BLOOM_ENTITIES)) {
    process.stderr.write(USAGE);
    return 64;
  }
  const config = loadConfig(ApiConfigSchema, process.env);
  if (config.redisCacheUrl === undefined)
    throw new ConfigError([{ key: 'REDIS_CACHE_URL', message: 'the filters live in the cache Redis' }]);
  const n = Number(values['expected-items'] ?? config.bloomExpectedItems);
  const p = Number(values['false-positive-rate'] ?? config.bloomFalsePositiveRate);
  const sizing = bloomSizing(n, p);
  const logger = createLogger({ name: 'bloom-rebuild', level: 'info', destination: process.stderr });
  const redis = createRedisClient({
    url: config.redisCacheUrl,
    timeoutMs: 10_000,
    logger,
    name: 'sdl-bloom-rebuild',
    lazyConnect: true,
  });
  const primaries = config.shardPrimaries.map(
    (url) => new pg.Pool({ connectionString: url, max: 1, application_name: 'sdl-bloom-rebuild' }),
  );
  try {
    // No offline queue: commands before the connection is ready would fail.
    await redis.connect();
    for (const entity of entities) {
      const report = await rebuildBloomFilter({ redis, primaries, entity, sizing, logger });
      process.stdout.write(`${JSON.stringify({ ...report, expectedItems: n, falsePositiveRate: p })}\n`);
    }
    return 0;
  } finally {
    await Promise.all(primaries.map((pool) => pool.end()));
    await closeRedis(redis);
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  const known = err instanceof AppError || err instanceof ConfigError || err instanceof RangeError;
  process.stderr.write(`bloom-rebuild: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
  process.exitCode = err instanceof ConfigError ? 78 : 1;
}
