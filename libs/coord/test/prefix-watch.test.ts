import { describe, expect, it, vi } from 'vitest';
import { observeFor, withEtcd } from './helpers.js';

describe('watchPrefix', () => {
  const { coords } = withEtcd();

  it('reports the snapshot, then puts and deletes made by another client', async () => {
    const watcher = coords.make();
    const writer = coords.make();
    await writer.put('/sdl/test/watch/a', '1');
    await writer.put('/sdl/test/other', 'x');
    const seen: Array<Record<string, string>> = [];
    const watch = await watcher.watchPrefix('/sdl/test/watch/', (entries) => seen.push(Object.fromEntries(entries)));
    expect(seen).toEqual([{ '/sdl/test/watch/a': '1' }]);

    await writer.put('/sdl/test/watch/b', '2');
    await vi.waitFor(() => expect(seen.at(-1)).toEqual({ '/sdl/test/watch/a': '1', '/sdl/test/watch/b': '2' }));
    await writer.put('/sdl/test/watch/a', '3');
    await vi.waitFor(() => expect(seen.at(-1)).toEqual({ '/sdl/test/watch/a': '3', '/sdl/test/watch/b': '2' }));
    const registration = await writer.register('/sdl/test/watch/leased', 'l', 5);
    await vi.waitFor(() => expect(watch.entries.get('/sdl/test/watch/leased')).toBe('l'));
    await registration.revoke();
    await vi.waitFor(() => expect(watch.entries.has('/sdl/test/watch/leased')).toBe(false));
    // Events arrive in order: had the key outside the prefix been reported, it would show here.
    await writer.put('/sdl/test/other', 'y');
    await writer.put('/sdl/test/watch/b', '5');
    await vi.waitFor(() => expect(seen.at(-1)).toEqual({ '/sdl/test/watch/a': '3', '/sdl/test/watch/b': '5' }));

    await watch.close();
    const calls = seen.length;
    await writer.put('/sdl/test/watch/c', '4');
    await observeFor(500);
    expect(seen.length).toBe(calls);
  });
});
