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

/** A Docker verb on one compose service: kill, pause, unpause, stop, start, restart, disconnect, connect. */
export async function chaos(verb: string, service: string, network?: 'default' | 'coord'): Promise<void> {
  await labAsync(['chaos', verb, service, ...(network === undefined ? [] : [network])]);
}

/** Runs a command inside a service's container (no port is published for it). */
export async function execIn(service: string, command: string[], timeoutMs = 60_000): Promise<string> {
  return labAsync(['compose', 'exec', '-T', service, ...command], timeoutMs);
}

/** GET on a service's own port from inside its container; returns the parsed JSON body. */
export async function getInside(service: string, port: number, path: string): Promise<unknown> {
  const script = `fetch('http://127.0.0.1:${port}${path}').then(r => r.text()).then(t => process.stdout.write(t))`;
  return JSON.parse(await execIn(service, ['node', '-e', script])) as unknown;
}

/** Whether the service's container is running. */
export async function isRunning(service: string): Promise<boolean> {
  const id = (await labAsync(['compose', 'ps', '-a', '-q', service])).trim();
  if (id === '') return false;
  const { stdout } = await execFileAsync('docker', ['inspect', '-f', '{{.State.Running}}', id]);
  return stdout.trim() === 'true';
}

/** Waits until the service's container reports healthy. */
export async function waitHealthy(service: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = (await labAsync(['compose', 'ps', '-a', '-q', service])).trim();
    const { stdout } = await execFileAsync('docker', ['inspect', '-f', '{{.State.Health.Status}}', id]);
    if (stdout.trim() === 'healthy') return;
    if (Date.now() > deadline) throw new Error(`${service} not healthy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
