import { createLogger } from '@sdl/logging';
import { startAll, startPostgres, type Started } from '@sdl/testing';
import pg from 'pg';
import { loadMigrations, migrate } from '../../../api/src/db/migrator.js';

/** One charge row as the tests read it back. */
export interface ChargeRecord {
  readonly id: string;
  readonly subscription_id: string;
  readonly period_start: string;
  readonly period_end: string;
  readonly status: string;
  readonly token: string;
  readonly idempotency_key: string;
  readonly provider_charge_id: string | null;
}

/** Two real Postgres shards with the api's schema (its own migrator), and direct pools to check them. */
export interface BillingStack {
  readonly shards: readonly Started[];
  /** Direct pools, one per shard (index = shard), outside the code under test. */
  readonly db: readonly pg.Pool[];
  /** SHARD_PRIMARIES for the code under test. */
  readonly shardPrimaries: string;
  /** Applies the api's migrations to every shard (what api nodes do at start-up), or to the databases of `urls`. */
  migrate(urls?: string): Promise<void>;
  /** Creates an empty database `name` on every shard server; returns their SHARD_PRIMARIES. */
  freshDatabases(name: string): Promise<string>;
  /** Empties every table billing touches and puts the fences back to 0: each test starts clean. */
  reset(): Promise<void>;
  /**
   * Creates `count` active subscriptions spread over both shards, their first period due
   * `dueSecondsAgo` seconds ago; returns their ids in creation order.
   */
  seed(count: number, options?: { readonly dueSecondsAgo?: number; readonly partition?: number }): Promise<string[]>;
  /** Every charge of every shard, by subscription then period. */
  charges(): Promise<ChargeRecord[]>;
  /** Subscription id -> next_billing_at (ISO text with microseconds). */
  nextBilling(): Promise<Map<string, string>>;
  /** Outbox events of charges, by event type. */
  chargeEvents(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
let seeded = 0;

export async function startBillingStack(): Promise<BillingStack> {
  const shards = await startAll(startPostgres, startPostgres);
  const db = shards.map((s) => {
    const pool = new pg.Pool({ connectionString: s.url, max: 3 });
    pool.on('error', () => undefined);
    return pool;
  });
  const all = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> =>
    (await Promise.all(db.map((pool) => pool.query<T>(sql)))).flatMap((r) => r.rows);
  return {
    shards,
    db,
    shardPrimaries: shards.map((s) => s.url).join(','),
    async migrate(urls) {
      const migrations = await loadMigrations();
      const logger = createLogger({ name: 'migrate', level: 'silent' });
      const pools =
        urls === undefined ? db : urls.split(',').map((url) => new pg.Pool({ connectionString: url, max: 1 }));
      try {
        await Promise.all(pools.map((pool) => migrate(pool, migrations, logger)));
      } finally {
        if (urls !== undefined) await Promise.all(pools.map((pool) => pool.end()));
      }
    },
    async freshDatabases(name) {
      const urls = await Promise.all(
        shards.map(async (s) => {
          const admin = new pg.Client({ connectionString: s.url.replace('lab:lab@', 'postgres:postgres@') });
          await admin.connect();
          try {
            await admin.query(`CREATE DATABASE ${name} OWNER lab`);
          } finally {
            await admin.end();
          }
          return s.url.replace(/\/lab$/, `/${name}`);
        }),
      );
      return urls.join(',');
    },
    async reset() {
      await Promise.all(
        db.map((pool) =>
          pool.query(
            `TRUNCATE accounts, subscriptions, charges, outbox, partition_fences CASCADE;
             UPDATE billing_fence SET token = 0`,
          ),
        ),
      );
    },
    async seed(count, options = {}) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        seeded += 1;
        const shard = i % db.length;
        const account = `acc_t${seeded}`;
        const id = `sub_t${seeded}`;
        const partition = options.partition ?? seeded % 64;
        const pool = db[shard]!;
        await pool.query(
          "INSERT INTO accounts (id, email, name, partition) VALUES ($1, $1 || '@lab.test', 'test', $2)",
          [account, partition],
        );
        await pool.query(
          `INSERT INTO subscriptions (id, account_id, partition, plan, status, amount_cents, currency, period_months,
                                      next_billing_at)
           VALUES ($1, $2, $3, 'pro', 'active', 1500, 'EUR', 1, now() - make_interval(secs => $4::float8))`,
          [id, account, partition, options.dueSecondsAgo ?? 0],
        );
        ids.push(id);
      }
      return ids;
    },
    async charges() {
      const rows = await all<ChargeRecord>(
        `SELECT id, subscription_id, to_char(period_start AT TIME ZONE 'UTC', ${ISO}) AS period_start,
                to_char(period_end AT TIME ZONE 'UTC', ${ISO}) AS period_end, status, token::text AS token,
                idempotency_key, provider_charge_id
           FROM charges`,
      );
      return rows.sort((a, b) =>
        a.subscription_id === b.subscription_id
          ? a.period_start.localeCompare(b.period_start)
          : a.subscription_id.localeCompare(b.subscription_id),
      );
    },
    async nextBilling() {
      const rows = await all<{ id: string; next: string }>(
        `SELECT id, to_char(next_billing_at AT TIME ZONE 'UTC', ${ISO}) AS next FROM subscriptions`,
      );
      return new Map(rows.map((r) => [r.id, r.next]));
    },
    async chargeEvents() {
      const rows = await all<{ event_type: string; n: number }>(
        "SELECT event_type, count(*)::int AS n FROM outbox WHERE aggregate_type = 'charge' GROUP BY event_type",
      );
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.event_type] = (counts[r.event_type] ?? 0) + r.n;
      return counts;
    },
    async stop() {
      await Promise.all(db.map((pool) => pool.end()));
      await Promise.all(shards.map((s) => s.stop().catch(() => undefined)));
    },
  };
}
