// wrk (Debian 4.1) as the load generator of the throughput benchmarks: one C thread, keep-alive
// connections, so the client costs far less CPU than the api node it measures. Each run picks a
// random path per request from a list (a generated Lua script), the same way for every target.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './stack.ts';

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  readonly errors: number;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-api-wrk-'));
onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
let scripts = 0;

/** A Lua script requesting one of `paths` at random per request. */
export function pathsScript(paths: readonly string[]): string {
  const file = join(dir, `paths-${(scripts += 1)}.lua`);
  const list = paths.map((p) => JSON.stringify(p)).join(',\n');
  writeFileSync(
    file,
    `local paths = {\n${list}\n}\nlocal n = #paths\nrequest = function()\n  return wrk.format(nil, paths[math.random(n)])\nend\n`,
  );
  return file;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
function toMs(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  return m === null ? NaN : Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** `wrk -t1 -c<connections> -d<seconds>s --latency -s <script> <baseUrl>`, parsed. */
export async function wrk(baseUrl: string, script: string, connections: number, seconds: number): Promise<WrkResult> {
  const child = spawn(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', '-s', script, baseUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`wrk exited ${code}: ${out}`);
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors =
    num(/Non-2xx or 3xx responses: (\d+)/) +
    (socketErrors === null ? 0 : socketErrors.slice(1).reduce((a, b) => a + Number(b), 0));
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: toMs(/ 50%\s+(\S+)/.exec(out)?.[1]),
    p99ms: toMs(/ 99%\s+(\S+)/.exec(out)?.[1]),
    errors,
  };
}
