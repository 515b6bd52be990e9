import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Started } from '@sdl/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../src/db/migrator.js';
import { testLogger } from '../support/helpers.js';

const ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9];

describe('migrations', () => {
  let server: Started;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const logger = testLogger();

  // A fresh database per test, created by the superuser and owned by the app's role.
  const freshDatabase = async (name: string): Promise<string> => {
    await admin.query(`CREATE DATABASE ${name} OWNER lab`);
    return server.url.replace(/\/lab$/, `/${name}`);
  };
  const poolFor = (url: string): pg.Pool => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    server = await startPostgres();
    const port = new URL(server.url).port;
    admin = new pg.Pool({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, max: 1 });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await admin?.end();
    await server?.stop();
  });

  it('applies every version once, however often it runs', async () => {
    const pool = poolFor(await freshDatabase('mig_twice'));
    const migrations = await loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(ALL);
    expect(await migrate(pool, migrations, logger)).toEqual(ALL);
    expect(await migrate(pool, migrations, logger)).toEqual([]);
    const { rows } = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(ALL.map((version) => ({ version })));
    // Each file is idempotent on its own too (IF NOT EXISTS everywhere): re-running it is a no-op.
    for (const migration of migrations) await pool.query(migration.sql);
    const tables = await pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.rows.map((r: { tablename: string }) => r.tablename)).toEqual([
      'accounts',
      'billing_fence',
      'billing_ledger',
      'charges',
      'outbox',
      'partition_fences',
      'posts',
      'processed_events',
      'schema_migrations',
      'subscriptions',
    ]);
    const unique = await pool.query(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'charges_subscription_period_key'",
    );
    expect(unique.rows[0].def).toBe('UNIQUE (subscription_id, period_start)');
    const index = await pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'outbox_unpublished_idx'");
    expect(index.rows[0].indexdef).toContain('WHERE (published_at IS NULL)');
    // Billing's fence: one row per shard; a newer token advances it, an older one reads it back.
    expect((await pool.query('SELECT token FROM billing_fence')).rows).toEqual([{ token: '0' }]);
    expect((await pool.query('SELECT sdl_billing_fence(7) AS t')).rows[0].t).toBe('7');
    expect((await pool.query('SELECT sdl_billing_fence(3) AS t')).rows[0].t).toBe('7');
  });

  it('lets nodes starting together race: exactly one applies, the others find nothing to do', async () => {
    const url = await freshDatabase('mig_race');
    const migrations = await loadMigrations();
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(poolFor(url), migrations, logger)));
    expect(results.filter((r) => r.length > 0)).toEqual([ALL]);
    const { rows } = await poolFor(url).query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(ALL.length);
  });

  it('gives accounts that existed before tenants the default tenant (007)', async () => {
    const pool = poolFor(await freshDatabase('mig_tenant'));
    const migrations = await loadMigrations();
    await migrate(
      pool,
      migrations.filter((m) => m.version < 7),
      logger,
    );
    await pool.query("INSERT INTO accounts (id, email, name, partition) VALUES ('acc_old', 'o@lab.test', 'Old', 1)");
    expect(await migrate(pool, migrations, logger)).toEqual(ALL.filter((v) => v >= 7));
    const { rows } = await pool.query('SELECT id, tenant FROM accounts');
    expect(rows).toEqual([{ id: 'acc_old', tenant: 'default' }]);
  });

  it('applies only the new version when one is added, and rolls back a failing one', async () => {
    const pool = poolFor(await freshDatabase('mig_next'));
    const dir = await mkdtemp(join(tmpdir(), 'sdl-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      expect(await migrate(pool, await loadMigrations(dir), logger)).toEqual(ALL);

      await writeFile(join(dir, '900_broken.sql'), 'CREATE TABLE half_done (id int); SELECT no_such_function();');
      await expect(migrate(pool, await loadMigrations(dir), logger)).rejects.toThrow(/no_such_function/);
      const half = await pool.query("SELECT to_regclass('half_done') AS t");
      expect(half.rows[0].t).toBeNull();

      await writeFile(join(dir, '900_broken.sql'), 'CREATE TABLE half_done (id int);');
      expect(await migrate(pool, await loadMigrations(dir), logger)).toEqual([900]);
      expect(await migrate(pool, await loadMigrations(dir), logger)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
