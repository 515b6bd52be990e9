import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPLICA_STANDBY_NAME, startReplicatedPostgres, type ReplicatedPostgres } from '../support/pg-replication.js';

const AUTO_CONF = '/var/lib/postgresql/data/postgresql.auto.conf';

// pg_basebackup -R wrote the standby's primary_conninfo once, with the replication password of that
// day. infra/postgres/entrypoint.sh writes it again at every start from the password it is given, so a
// standby whose data directory outlived other secrets (a re-created container on the same volume)
// still reaches its primary.
describe('a standby started again over a data directory with a stale replication password', () => {
  let pair: ReplicatedPostgres;

  beforeAll(async () => {
    pair = await startReplicatedPostgres();
  });
  afterAll(async () => {
    await pair?.stop();
  });

  /** psql as postgres over the container's unix socket: its output, trimmed. */
  const asPostgres = async (container: StartedTestContainer, sql: string) =>
    (
      await container.exec(['psql', '-h', '/var/run/postgresql', '-U', 'postgres', '-d', 'lab', '-tAXc', sql])
    ).output.trim();
  const onPrimary = (sql: string) => asPostgres(pair.primary, sql);
  const streaming = () =>
    onPrimary(
      `SELECT count(*) FROM pg_stat_replication WHERE application_name = '${REPLICA_STANDBY_NAME}' AND state = 'streaming'`,
    );

  it('streams from its primary again, with the password it is given now', async () => {
    await vi.waitFor(async () => expect(await streaming()).toBe('1'), { timeout: 30_000, interval: 200 });
    // The state a re-created container meets: the data directory's conninfo names an old password
    // (read at the next start: the running standby keeps the connection it has).
    expect(
      (await pair.replica.exec(['sed', '-i', 's/password=[^ ]*/password=stale-password/', AUTO_CONF])).exitCode,
    ).toBe(0);
    await pair.replica.restart();

    await vi.waitFor(async () => expect(await streaming()).toBe('1'), { timeout: 30_000, interval: 200 });
    const conf = (await pair.replica.exec(['cat', AUTO_CONF])).output;
    expect(conf).not.toContain('stale-password');
    expect(conf.match(/^primary_conninfo = /gm)).toHaveLength(1);
    await onPrimary('CREATE TABLE after_restart AS SELECT 7 AS n');
    await vi.waitFor(
      async () => {
        expect(await asPostgres(pair.replica, 'SELECT n FROM after_restart')).toBe('7');
      },
      { timeout: 30_000, interval: 200 },
    );
  });
});
