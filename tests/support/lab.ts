import { execFile, execFileSync, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const labPath = fileURLToPath(new URL('../../lab', import.meta.url));

/** Runs `./lab ARGS` synchronously (set-up and tear-down). */
export function lab(args: string[], options: { stdio?: StdioOptions; timeoutMs?: number } = {}): string {
  const out = execFileSync(labPath, args, {
    encoding: 'utf8',
    stdio: options.stdio ?? 'pipe',
    timeout: options.timeoutMs ?? 60_000,
  });
  return out ?? '';
}

/** Runs `./lab ARGS` and returns stdout (throws with stderr on a non-zero exit). */
export async function labAsync(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execFileAsync(labPath, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

// The docker helpers live in @sdl/compose (the game days use them too); tests and bench import them from here.
export {
  chaos,
  containerOf,
  docker,
  execIn,
  getAllFrom,
  getInside,
  inspect,
  isRunning,
  stoppedAt,
  waitHealthy,
  waitReady,
} from '@sdl/compose';
