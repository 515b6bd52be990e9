import type pg from 'pg';
import { createAccountId } from '../../src/domain/ids.js';
import type { ShardRouter } from '../../src/sharding/shard-router.js';

/**
 * `count` accounts inserted straight into their shards, around the api: no node hears of them (as
 * rows a restore or psql wrote, or a node that never added them to a Bloom filter). Their ids.
 */
export async function insertAccountsDirect(
  shards: readonly pg.Pool[],
  router: ShardRouter,
  count: number,
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => createAccountId());
  await Promise.all(
    shards.map((db, shard) => {
      const mine = ids.filter((id) => router.route(id).shard === shard);
      return db.query(
        `INSERT INTO accounts (id, email, name, partition)
         SELECT id, id || '@example.com', 'direct', p FROM unnest($1::text[], $2::int[]) AS t(id, p)`,
        [mine, mine.map((id) => router.route(id).partition)],
      );
    }),
  );
  return ids;
}
