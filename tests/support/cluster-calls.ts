// `.ts`: bench scripts run this file with Node's type stripping, which does not map `.js` to `.ts`.
import { execIn } from './lab.ts';

/**
 * An HTTP request to a service's own (unpublished) port, from inside its container; the raw
 * answer. For admin routes and metrics that no published port serves (tests and bench scripts).
 */
export async function inside(
  service: string,
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const init =
    body === undefined
      ? `{ method: '${method}' }`
      : `{ method: '${method}', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(body))} }`;
  const script = `fetch('http://127.0.0.1:${port}${path}', ${init}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))`;
  return JSON.parse(await execIn(service, ['node', '-e', script], 20_000)) as { status: number; text: string };
}

/** A query on a shard primary, via psql in its container; the rows, each a list of fields. */
export async function onShard(shard: 0 | 1, sql: string): Promise<string[][]> {
  const psql = ['env', 'PGPASSWORD=lab', 'psql', '-U', 'lab', '-d', 'lab', '-h', '127.0.0.1', '-tAc', sql];
  const out = await execIn(`pg-${shard}-primary`, psql);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}
