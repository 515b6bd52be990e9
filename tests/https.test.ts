import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_KEY } from './support/http.js';

const run = promisify(execFile);
const CA = fileURLToPath(new URL('../.lab/ca.pem', import.meta.url));
const HTTPS = `https://localhost:${process.env.GATEWAY_TLS_PORT ?? '8443'}`;

/** curl as a user would run it; the exit code (0 = success) and what it printed (headers, then body). */
async function curl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('curl', ['-sS', '--max-time', '10', '-D', '-', ...args]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '' };
  }
}

// The README's promise: after `./lab up`, `curl --cacert .lab/ca.pem https://localhost:8443/v1/...` works.
describe('HTTPS at the published gateway', () => {
  it('verifies against the lab CA and answers with HSTS', async () => {
    const { code, out } = await curl(['--cacert', CA, '-H', `x-api-key: ${DEMO_KEY}`, `${HTTPS}/v1/whoami`]);
    expect(code).toBe(0);
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toMatch(/^strict-transport-security: max-age=\d+/im);
    expect(out).toMatch(/"node":"api-[123]"/);
  });

  it('is refused by a client that does not trust the lab CA, and refuses TLS 1.1', async () => {
    expect((await curl([`${HTTPS}/healthz`])).code).toBe(60); // peer certificate cannot be authenticated
    const old = await curl([
      '--cacert',
      CA,
      '--tlsv1.1',
      '--tls-max',
      '1.1',
      '--ciphers',
      'DEFAULT@SECLEVEL=0',
      `${HTTPS}/healthz`,
    ]);
    expect(old.code).not.toBe(0);
  });
});
