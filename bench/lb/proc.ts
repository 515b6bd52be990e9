// Process helpers shared by the lb network benchmarks: spawn children, wait for readiness, stop all.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { request } from 'node:http';

/** The repo root: run the scripts from it. */
export const root = process.cwd();
/** This script's own extension (.ts under Node >= 22.18 type stripping, .js when transpiled). */
export const ext = import.meta.url.endsWith('.js') ? '.js' : '.ts';
const children: ChildProcess[] = [];

export function start(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  opts: SpawnOptions = {},
): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
    ...opts,
  });
  children.push(child);
  return child;
}

/** Runs a sibling bench script (stub-upstream, latency-proxy) with this Node. */
export function startScript(name: string, args: string[]): ChildProcess {
  return start(process.execPath, [new URL(`./${name}${ext}`, import.meta.url).pathname, ...args]);
}

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function ready(url: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await httpGet(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready: ${url}`);
}

export function stopAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    stopAll();
    process.kill(process.pid, sig); // the default action this time: exit
  });

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
