import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('runService', () => {
  it('exits 78 listing every bad variable, without starting', async () => {
    const script = `
      import { runService, BaseConfigSchema } from '@sdl/server';
      await runService({ name: 'probe', schema: BaseConfigSchema, env: { LOG_LEVEL: 'loud' },
        build: async () => { throw new Error('must not be built'); } });`;
    const err = await run(process.execPath, ['--input-type=module', '-e', script], { cwd }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(78);
    expect(err?.stderr).toContain('PORT');
    expect(err?.stderr).toContain('LOG_LEVEL');
  });
});
