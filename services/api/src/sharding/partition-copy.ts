import type pg from 'pg';

/** The partitioned tables, parents first (foreign keys point from later to earlier ones). */
export const PARTITIONED_TABLES = [
  'accounts',
  'posts',
  'subscriptions',
  'charges',
  // Billing's idempotent consumer: its de-duplication record moves with the effect it guards.
  'processed_events',
  'billing_ledger',
] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

type Queryable = Pick<pg.PoolClient, 'query'>;

const BATCH = 1000;

async function columnsOf(db: Queryable, table: PartitionedTable): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

/**
 * Rows travel as JSON text, never parsed in between: timestamps keep their microseconds and
 * bigints their digits; `json_populate_recordset` turns them back into the table's own types.
 */
async function upsert(
  dest: Queryable,
  table: PartitionedTable,
  columns: readonly string[],
  json: string,
): Promise<void> {
  const list = columns.map((c) => `"${c}"`).join(', ');
  const updates = columns
    .filter((c) => c !== 'id')
    .map((c) => `"${c}" = EXCLUDED."${c}"`)
    .join(', ');
  await dest.query(
    `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $1::json)
     ON CONFLICT (id) DO UPDATE SET ${updates}`,
    [json],
  );
}

/** Copies every row of the partition from `source` to `dest` (upsert), in id-ordered batches. */
export async function copyPartition(
  source: Queryable,
  dest: Queryable,
  partition: number,
): Promise<Record<PartitionedTable, number>> {
  const copied = Object.fromEntries(PARTITIONED_TABLES.map((t) => [t, 0])) as Record<PartitionedTable, number>;
  for (const table of PARTITIONED_TABLES) {
    const columns = await columnsOf(source, table);
    for (let after = ''; ;) {
      const { rows } = await source.query<{ rows: string; n: number; last: string | null }>(
        `SELECT coalesce(json_agg(t ORDER BY id), '[]')::text AS rows, count(*)::int AS n, max(id) AS last
           FROM (SELECT * FROM ${table} WHERE partition = $1 AND id > $2 ORDER BY id LIMIT ${BATCH}) t`,
        [partition, after],
      );
      const batch = rows[0];
      if (batch === undefined || batch.n === 0 || batch.last === null) break;
      await upsert(dest, table, columns, batch.rows);
      copied[table] += batch.n;
      after = batch.last;
    }
  }
  return copied;
}

async function digests(db: Queryable, table: PartitionedTable, partition: number): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; h: string }>(
    `SELECT id, md5(t::text) AS h FROM ${table} t WHERE partition = $1`,
    [partition],
  );
  return new Map(rows.map((r) => [r.id, r.h]));
}

/** What a catch-up changed on the destination. */
export interface SyncResult {
  readonly upserted: number;
  readonly deleted: number;
}

/**
 * Makes the destination's rows of the partition equal to the source's: rows that differ (by a
 * digest of the whole row) or are missing are copied, rows the source no longer has are deleted.
 * Run under the write fence, it is the catch-up after the bulk copy: only what changed travels.
 */
export async function syncPartition(source: Queryable, dest: Queryable, partition: number): Promise<SyncResult> {
  let upserted = 0;
  let deleted = 0;
  const gone: Array<[PartitionedTable, string[]]> = [];
  for (const table of PARTITIONED_TABLES) {
    const [from, to] = await Promise.all([digests(source, table, partition), digests(dest, table, partition)]);
    const changed = [...from].filter(([id, h]) => to.get(id) !== h).map(([id]) => id);
    gone.push([table, [...to.keys()].filter((id) => !from.has(id))]);
    if (changed.length === 0) continue;
    const { rows } = await source.query<{ rows: string }>(
      `SELECT coalesce(json_agg(t ORDER BY id), '[]')::text AS rows FROM ${table} t WHERE id = ANY ($1::text[])`,
      [changed],
    );
    await upsert(dest, table, await columnsOf(source, table), rows[0]?.rows ?? '[]');
    upserted += changed.length;
  }
  // Children before parents: an account's posts go before the account.
  for (const [table, ids] of gone.reverse()) {
    if (ids.length === 0) continue;
    const { rowCount } = await dest.query(`DELETE FROM ${table} WHERE id = ANY ($1::text[])`, [ids]);
    deleted += rowCount ?? 0;
  }
  return { upserted, deleted };
}

/** Deletes the partition's rows (children first; the cascades would do it, this says so). */
export async function deletePartition(db: Queryable, partition: number): Promise<number> {
  let deleted = 0;
  for (const table of [...PARTITIONED_TABLES].reverse()) {
    const { rowCount } = await db.query(`DELETE FROM ${table} WHERE partition = $1`, [partition]);
    deleted += rowCount ?? 0;
  }
  return deleted;
}
