import type pg from 'pg';
import { createAccountId } from '../../src/domain/ids.js';
import type { ShardRouter } from '../../src/sharding/shard-router.js';

/**
 * An account written straight to its shard's Postgres (id and partition as the api makes them),
 * so no node and no Redis has seen it: a cold key. Returns its id.
 */
export async function insertColdAccount(db: pg.Pool, router: ShardRouter, name: string): Promise<string> {
  const id = createAccountId();
  await db.query('INSERT INTO accounts (id, email, name, partition) VALUES ($1, $2, $3, $4)', [
    id,
    `${name}@example.com`,
    name,
    router.route(id).partition,
  ]);
  return id;
}
