import { describe, expect, it } from 'vitest';
import { withEtcd } from './helpers.js';

describe('compareAndPut', () => {
  const { coords } = withEtcd();

  it('creates only an absent key, then swaps only from the expected value', async () => {
    const a = coords.make();
    const b = coords.make();
    const key = '/sdl/test/cas';
    expect(await a.compareAndPut(key, undefined, 'v1')).toBe(true);
    // A second creator loses: the key exists now.
    expect(await b.compareAndPut(key, undefined, 'other')).toBe(false);
    expect(await b.get(key)).toBe('v1');
    // Two writers that both read v1: exactly one swap succeeds.
    const results = await Promise.all([a.compareAndPut(key, 'v1', 'from-a'), b.compareAndPut(key, 'v1', 'from-b')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results[0] ? 'from-a' : 'from-b';
    expect(await a.get(key)).toBe(winner);
    expect(await a.compareAndPut(key, 'v1', 'stale')).toBe(false);
    expect(await a.get(key)).toBe(winner);
  });
});
