// pgbench (Debian postgresql-client 15) as a baseline and as a steady writer, output parsed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface PgbenchResult {
  /** Transactions per second without the initial connection time. */
  readonly tps: number;
  readonly latencyMs: number;
  readonly failed: number;
  /** With `-R` and `-L`: transactions skipped for being late (none without `-L`). */
  readonly skipped: number;
}

/** `pgbench <args> <url>`; throws with its output when it fails. */
export async function pgbench(url: string, args: readonly string[]): Promise<PgbenchResult> {
  const child = spawn('pgbench', [...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`pgbench exited ${code}: ${out}`);
  const num = (re: RegExp, fallback: number): number => Number(re.exec(out)?.[1] ?? fallback);
  return {
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/, NaN),
    latencyMs: num(/latency average = ([\d.]+) ms/, NaN),
    failed: num(/number of failed transactions: (\d+)/, 0),
    skipped: num(/number of transactions skipped: (\d+)/, 0),
  };
}
