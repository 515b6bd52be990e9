// `.ts`: bench scripts run this file with Node's type stripping, which does not map `.js` to `.ts`.
import { execIn } from './lab.ts';

// inside() is in @sdl/compose (the game days use it too).
export { inside } from '@sdl/compose';

/** A query on a shard primary, via psql in its container; the rows, each a list of fields. */
export async function onShard(shard: 0 | 1, sql: string): Promise<string[][]> {
  const psql = ['env', 'PGPASSWORD=lab', 'psql', '-U', 'lab', '-d', 'lab', '-h', '127.0.0.1', '-tAc', sql];
  const out = await execIn(`pg-${shard}-primary`, psql);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}
