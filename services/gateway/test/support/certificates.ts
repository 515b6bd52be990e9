import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MAKE_CERTS = fileURLToPath(new URL('../../../../infra/tls/make-certs.sh', import.meta.url));
const run = promisify(execFile);

/** A local CA and a server certificate made by the script `./lab up` uses, in a temp directory. */
export interface Certificates {
  readonly ca: Buffer;
  readonly certFile: string;
  readonly keyFile: string;
  /** A new server certificate from the same CA, written over the files in place. */
  rotate(): Promise<void>;
  remove(): Promise<void>;
}

export async function makeCertificates(): Promise<Certificates> {
  const dir = await mkdtemp(join(tmpdir(), 'sdl-tls-'));
  await run('bash', [MAKE_CERTS, dir]);
  return {
    ca: await readFile(join(dir, 'ca.pem')),
    certFile: join(dir, 'tls', 'server.pem'),
    keyFile: join(dir, 'tls', 'server-key.pem'),
    rotate: async () => {
      await run('bash', [MAKE_CERTS, dir, '--server-only']);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
