import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTransaction } from '@sdl/db';
import type { Logger } from '@sdl/logging';
import type pg from 'pg';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The SQL files ship as source: from `src/x.ts` and from `dist/x.js` alike this resolves to the
 * package's `src/db/migrations/` (the image holds the whole workspace, so both layouts have it).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));

// Every api node migrates every shard at start-up; this session lock makes the first one do the
// work while the others wait and then find nothing left to apply.
const MIGRATION_LOCK_KEY = 7_245_019_001;

const FILE_NAME = /^(\d+)_([\w-]+)\.sql$/;

/** Reads `NNN_name.sql` files in version order; duplicate versions are a packaging bug. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const match = FILE_NAME.exec(file);
    if (match === null) continue;
    migrations.push({ version: Number(match[1]), name: match[2]!, sql: await readFile(join(dir, file), 'utf8') });
  }
  migrations.sort((a, b) => a.version - b.version);
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions in ${dir}`);
  return migrations;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction,
 * under a Postgres advisory lock. Safe to run any number of times, from any number of nodes at
 * once. Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[], logger: Logger): Promise<number[]> {
  const client = await pool.connect();
  let failure: Error | undefined;
  // A checked-out client has no pool listener: without ours, a server dying mid-migration would
  // surface as an uncaught 'error' event instead of a failed (and retried) migration.
  const onError = (err: Error): void => {
    failure = err;
    logger.warn({ err }, 'connection failed during migration');
  };
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version    integer PRIMARY KEY,
           name       text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const done: number[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        await withTransaction(client, async (tx) => {
          await tx.query(migration.sql);
          await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ]);
        });
        logger.info({ version: migration.version, name: migration.name }, 'migration applied');
        done.push(migration.version);
      }
      return done;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A session that failed mid-way may still hold the lock: drop it rather than pool it.
    if (failure === undefined) client.removeListener('error', onError);
    client.release(failure);
  }
}
