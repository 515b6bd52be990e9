import { getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Started } from '../src/index.js';

/** psql over TCP inside the container as `user` with `password` (SQL default: the current user): its exit code and output. */
async function login(container: StartedTestContainer, user: string, password: string, sql = 'select current_user') {
  const psql = ['psql', '-h', '127.0.0.1', '-U', user, '-d', 'lab', '-tAXc', sql];
  return container.exec(['env', `PGPASSWORD=${password}`, ...psql]);
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

// A data directory outlives its container (compose keeps the volume when it re-creates one), so a
// start may meet other password files than the ones its roles were given: rotated secrets, or another
// checkout's .lab/secrets. The entrypoint gives the roles the files' passwords again.
describe('the Postgres entrypoint started again with other password files', () => {
  let pg: Started;
  const psqlAs = (user: string, password: string, sql: string) => login(pg.container, user, password, sql);
  const setting = async () => {
    const logs = await (
      await getContainerRuntimeClient()
    ).container
      .getById(pg.container.getId())
      .logs({ stdout: true, stderr: true });
    return String(logs).split("setting the roles' passwords").length - 1;
  };

  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('gives each role its new password and keeps the data; an unchanged restart sets nothing', async () => {
    expect((await psqlAs('lab', 'lab', 'CREATE TABLE kept AS SELECT 42 AS answer')).exitCode).toBe(0);
    const files = { pg_superuser_password: 'su-2', pg_app_password: "it's\\new", pg_replication_password: 'repl-2' };
    for (const [name, content] of Object.entries(files)) {
      await pg.container.copyContentToContainer([{ content: `${content}\n`, target: `/run/secrets/${name}` }]);
    }
    await pg.container.restart();

    expect(await psqlAs('lab', files.pg_app_password, 'SELECT answer FROM kept')).toMatchObject({
      exitCode: 0,
      output: '42\n',
    });
    expect((await psqlAs('lab', 'lab', 'SELECT 1')).exitCode).not.toBe(0);
    expect((await psqlAs('postgres', 'su-2', 'SELECT 1')).exitCode).toBe(0);
    expect((await psqlAs('postgres', 'postgres', 'SELECT 1')).exitCode).not.toBe(0);
    expect((await psqlAs('replicator', 'repl-2', 'SELECT 1')).exitCode).toBe(0);
    expect(await setting()).toBe(1);

    await pg.container.restart();
    expect((await psqlAs('lab', files.pg_app_password, 'SELECT 1')).exitCode).toBe(0);
    expect(await setting()).toBe(1);
  });
});
