// inside() and onShard() are in @sdl/compose (the game days use them too); tests and bench import them from here.
import { execIn } from '@sdl/compose';

export { inside, onShard } from '@sdl/compose';

/**
 * The first event on accounts.events keyed or valued with `id` (an account's `account.created`),
 * read from inside `via` (the broker is not published on the host); throws if none came in 45 s.
 */
export async function accountEvent(id: string, via = 'api-1'): Promise<{ key: string; value: string }> {
  const out = await execIn(
    via,
    ['node', 'libs/events/dist/bin/consume.js', '--topic', 'accounts.events', '--match', id, '--timeout-ms', '45000'],
    60_000,
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { key: string; value: string };
}
