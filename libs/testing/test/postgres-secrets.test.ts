import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Started } from '../src/index.js';

/** psql over TCP inside the container as `user` with `password`: its exit code and output. */
async function login(container: StartedTestContainer, user: string, password: string) {
  const sql = ['psql', '-h', '127.0.0.1', '-U', user, '-d', 'lab', '-tAXc', 'select current_user'];
  return container.exec(['env', `PGPASSWORD=${password}`, ...sql]);
}

// infra/postgres/entrypoint.sh takes its passwords from files (POSTGRES_PASSWORD_FILE,
// PG_APP_PASSWORD_FILE, PG_REPLICATION_PASSWORD_FILE), as compose's secrets give them: the roles get
// those passwords, and no password is in the container's environment.
describe('the Postgres entrypoint with passwords in files', () => {
  let pg: Started;

  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('gives each role the password of its file (trailing newline dropped)', async () => {
    expect(await login(pg.container, 'lab', 'lab')).toMatchObject({ exitCode: 0, output: 'lab\n' });
    expect((await login(pg.container, 'replicator', 'replicator')).exitCode).toBe(0);
    expect((await login(pg.container, 'lab', 'wrong')).exitCode).not.toBe(0);
    expect((await login(pg.container, 'postgres', 'postgres')).exitCode).toBe(0);
  });

  it('keeps every password out of the environment', async () => {
    const env = (await pg.container.exec(['cat', '/proc/1/environ'])).output.split('\0');
    expect(env.filter((v) => /PASSWORD=/.test(v))).toEqual([]);
  });
});
