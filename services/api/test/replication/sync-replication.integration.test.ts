import { startAll } from '@sdl/testing';
import pg from 'pg';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, metricValue } from '../support/helpers.js';
import { sql } from '../support/pg-sql.js';
import { REPLICA_STANDBY_NAME, startReplicatedPostgres, type ReplicatedPostgres } from '../support/pg-replication.js';

// PG_SYNC_REPLICATION (issue 14), both sides: two shards of one real primary + streaming replica each,
// one asynchronous (off, the default), one synchronous. Each primary is then killed (docker kill) and
// its replica promoted, and the acknowledged writes missing on the new primary are counted.
const N = 20;
const WAIT = { timeout: 30_000, interval: 100 };

/** The table of acknowledged writes, created on the primary and waited for on the replica. */
async function createTable(pair: ReplicatedPostgres): Promise<void> {
  await sql(pair.primaryUrl, 'CREATE TABLE acked (id int PRIMARY KEY)');
  await vi.waitFor(async () => {
    const [row] = await sql<{ t: string | null }>(pair.replicaUrl, "SELECT to_regclass('acked')::text AS t");
    expect(row?.t).toBe('acked');
  }, WAIT);
}

async function insertAll(url: string, ids: number[]): Promise<void> {
  for (const id of ids) await sql(url, 'INSERT INTO acked VALUES ($1)', [id]);
}

/** Promotes the replica (the primary is dead) and returns how many of `acked` it does not have. */
async function promoteAndCountMissing(pair: ReplicatedPostgres, acked: number[]): Promise<number> {
  const [promoted] = await sql<{ ok: boolean }>(pair.replicaAdminUrl, 'SELECT pg_promote(true, 60) AS ok');
  expect(promoted?.ok).toBe(true);
  const [row] = await sql<{ n: number }>(pair.replicaUrl, 'SELECT count(*)::int AS n FROM acked WHERE id = ANY($1)', [
    acked,
  ]);
  return acked.length - row!.n;
}

/** What the primary backend `pid` waits for (pg_stat_activity.wait_event). */
async function waitEventOf(pair: ReplicatedPostgres, pid: number): Promise<string | null | undefined> {
  const [row] = await sql<{ e: string | null }>(
    pair.primaryAdminUrl,
    'SELECT wait_event AS e FROM pg_stat_activity WHERE pid = $1',
    [pid],
  );
  return row?.e;
}

/** A connection of its own with its backend pid and the server's notices (warnings). */
async function session(url: string) {
  const client = new pg.Client({ connectionString: url });
  const notices: string[] = [];
  client.on('notice', (n) => notices.push(n.message ?? ''));
  await client.connect();
  const [row] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  return { client, notices, pid: row!.pid };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('PG_SYNC_REPLICATION: what a primary crash loses, and what a stalled standby costs', () => {
  let asyncShard: ReplicatedPostgres;
  let syncShard: ReplicatedPostgres;

  beforeAll(async () => {
    [asyncShard, syncShard] = await startAll(
      () => startReplicatedPostgres(),
      () => startReplicatedPostgres({ syncReplication: 'on' }),
    );
    await Promise.all([createTable(asyncShard), createTable(syncShard)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([asyncShard?.stop(), syncShard?.stop()]);
  });

  it('off (asynchronous, the default): writes acknowledged but not yet streamed are lost with the primary', async () => {
    await insertAll(asyncShard.primaryUrl, range(1, N));
    await vi.waitFor(async () => {
      const [row] = await sql<{ n: number }>(asyncShard.replicaUrl, 'SELECT count(*)::int AS n FROM acked');
      expect(row?.n).toBe(N);
    }, WAIT);
    // The replica falls behind: its WAL receiver stops (a paused container would still take the WAL
    // into its kernel socket buffer and could replay it after the crash, so the count would vary).
    await sql(asyncShard.replicaAdminUrl, "ALTER SYSTEM SET primary_conninfo = ''");
    await sql(asyncShard.replicaAdminUrl, 'SELECT pg_reload_conf()');
    await vi.waitFor(async () => {
      const [row] = await sql<{ n: number }>(
        asyncShard.replicaAdminUrl,
        'SELECT count(*)::int AS n FROM pg_stat_wal_receiver',
      );
      expect(row?.n).toBe(0);
    }, WAIT);
    const lagging = range(1001, N);
    await insertAll(asyncShard.primaryUrl, lagging); // each acknowledged at once: no standby to wait for
    await asyncShard.crashPrimary();
    expect(await promoteAndCountMissing(asyncShard, [...range(1, N), ...lagging])).toBe(N);
  });

  it('the old primary, fenced as ./lab shard promote fences it, refuses to start again', async () => {
    await asyncShard.primary.copyContentToContainer([
      { content: 'replica promoted by the test\n', target: '/var/lib/postgresql/data/sdl-fenced' },
    ]);
    const old = (await getContainerRuntimeClient()).container.getById(asyncShard.primary.getId());
    await old.start();
    const exited = (await old.wait()) as { StatusCode: number };
    expect(exited.StatusCode).toBe(1);
    const logs = String(await old.logs({ stdout: true, stderr: true, tail: 5 }));
    expect(logs).toContain('fenced: replica promoted by the test');
  });

  it('on: the replica is the synchronous standby, and the api shows the mode; a run-time switch to remote_apply', async () => {
    const [standby] = await sql<{ state: string }>(
      syncShard.primaryAdminUrl,
      'SELECT sync_state AS state FROM pg_stat_replication WHERE application_name = $1',
      [REPLICA_STANDBY_NAME],
    );
    expect(standby?.state).toBe('sync');
    const { app, metrics } = await buildTestApp({
      SHARD_PRIMARIES: syncShard.primaryUrl,
      SHARD_REPLICAS: syncShard.replicaUrl,
      REPLICA_PROBE_MS: '100',
    });
    try {
      await app.ready();
      const mode = (m: string) => metricValue(metrics, 'api_shard_sync_replication', { shard: '0', mode: m });
      await vi.waitFor(async () => expect(await mode('on')).toBe(1), WAIT);
      // What `./lab shard sync-mode N remote_apply` runs in the primary's container.
      const switched = await syncShard.primary.exec(['bash', '/infra/postgres/sync-replication.sh', 'remote_apply']);
      expect(switched.output).toContain("synchronous_standby_names='pg_replica' synchronous_commit=remote_apply");
      expect(switched.exitCode).toBe(0);
      await vi.waitFor(async () => expect([await mode('remote_apply'), await mode('on')]).toEqual([1, 0]), WAIT);
    } finally {
      await app.close();
    }
  });

  it('remote_apply: a write stalls while the replica is paused and completes once it is back; the crash loses none', async () => {
    const acked = range(1, N);
    await insertAll(syncShard.primaryUrl, acked);
    await syncShard.pauseReplica();
    const stalled = await session(syncShard.primaryUrl);
    const cancelled = await session(syncShard.primaryUrl);
    try {
      let done = false;
      const pending = stalled.client.query('INSERT INTO acked VALUES (1001)').finally(() => (done = true));
      await vi.waitFor(async () => expect(await waitEventOf(syncShard, stalled.pid)).toBe('SyncRep'), WAIT);
      expect(done).toBe(false);
      // Cancelling such a wait does not undo the commit: the client gets success and a WARNING.
      const given = cancelled.client.query('INSERT INTO acked VALUES (1002)');
      await vi.waitFor(async () => expect(await waitEventOf(syncShard, cancelled.pid)).toBe('SyncRep'), WAIT);
      await sql(syncShard.primaryAdminUrl, 'SELECT pg_cancel_backend($1)', [cancelled.pid]);
      await given;
      expect(cancelled.notices.join('\n')).toMatch(/canceling wait for synchronous replication/);
      const [visible] = await sql<{ n: number }>(
        syncShard.primaryUrl,
        'SELECT count(*)::int AS n FROM acked WHERE id = 1002',
      );
      expect(visible?.n).toBe(1);
      expect(done).toBe(false);
      await syncShard.unpauseReplica();
      await pending;
      acked.push(1001, 1002);
    } finally {
      await syncShard.unpauseReplica().catch(() => undefined);
      await Promise.all([stalled.client.end(), cancelled.client.end()]);
    }
    await syncShard.crashPrimary();
    expect(await promoteAndCountMissing(syncShard, acked)).toBe(0);
    // The promoted replica waits for no standby (sync-replication.sh writes `off` on a replica).
    const writer = new pg.Client({ connectionString: syncShard.replicaUrl, query_timeout: 10_000 });
    await writer.connect();
    await writer.query('INSERT INTO acked VALUES (2001)').finally(() => writer.end());
  });
});
