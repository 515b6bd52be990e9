import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { call, DEMO_KEY } from './support/http.js';
import { labAsync } from './support/lab.js';

const run = promisify(execFile);
const SECRETS = fileURLToPath(new URL('../.lab/secrets/', import.meta.url));

/** The Postgres passwords ./lab made (the shard URLs the api and billing read carry the app's). */
const PG_PASSWORDS = ['pg-superuser-password', 'pg-app-password', 'pg-replication-password'];

const secretFile = (name: string): string => readFileSync(`${SECRETS}${name}`, 'utf8').trim();

/** The secret values ./lab made: the gateway's shared secret, every API key's secret half, the Postgres passwords. */
function secretValues(): string[] {
  const keys = secretFile('api-keys')
    .split(',')
    .map((pair) => pair.slice(pair.indexOf(':') + 1).trim());
  return [secretFile('gateway-secret'), ...keys, ...PG_PASSWORDS.map(secretFile)];
}

// Secrets are files (Compose secrets, read through *_FILE): after traffic that uses every one of
// them, none appears in any container's environment, configuration (docker inspect) or log, the
// Postgres containers' included (their entrypoint reads the passwords from files).
describe('secrets as files', () => {
  it('are in no container log and no docker inspect output', async () => {
    const values = secretValues();
    expect(values.length).toBeGreaterThanOrEqual(6);
    expect(values[0]).toMatch(/^[0-9a-f]{64}$/);
    for (const name of PG_PASSWORDS) expect(secretFile(name), name).toMatch(/^[0-9a-f]{48}$/);
    // The shard URLs are built on the app's password (and so never sit in compose's environment).
    expect(secretFile('shard-primaries')).toContain(`:${secretFile('pg-app-password')}@pg-0-primary:5432/`);
    // Traffic that uses them: an authenticated request (key and shared secret), a refused key, a 404
    // (its owner looked up on a shard, through the app role's password), an account written.
    expect((await call('GET', '/v1/whoami')).status).toBe(200);
    expect((await call('GET', '/v1/whoami', { key: `${DEMO_KEY}x` })).status).toBe(401);
    expect((await call('GET', '/v1/accounts/acc_01J0000000000000000000000Z')).status).toBe(404);
    const created = await call('POST', '/v1/accounts', { body: { email: 'secrets@example.com', name: 'Secrets' } });
    expect(created.status).toBe(201);

    const ids = (await labAsync(['compose', 'ps', '-a', '-q'])).trim().split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThanOrEqual(20);
    const { stdout: inspect } = await run('docker', ['inspect', ...ids], { maxBuffer: 64 * 1024 * 1024 });
    for (const value of values) expect(inspect.includes(value), 'docker inspect').toBe(false);
    for (const id of ids) {
      const { stdout, stderr } = await run('docker', ['logs', '--tail', '20000', id], { maxBuffer: 256 * 1024 * 1024 });
      for (const value of values) expect(`${stdout}${stderr}`.includes(value), `logs of ${id}`).toBe(false);
    }
  });
});
