import { describe, expect, it } from 'vitest';
import { refreshEarly } from '../../src/cache/xfetch.js';

describe('XFetch decision: -delta * beta * ln(rand) >= ttl left', () => {
  it('refreshes exactly when the drawn head start reaches the time left', () => {
    const atHalf = () => Math.exp(-0.5); // -ln = 0.5: head start = delta * beta / 2
    expect(refreshEarly(100, 1, 50, atHalf)).toBe(true);
    expect(refreshEarly(100, 1, 51, atHalf)).toBe(false);
    expect(refreshEarly(100, 2, 100, atHalf)).toBe(true);
    expect(refreshEarly(100, 0.5, 26, atHalf)).toBe(false);
  });

  it('always refreshes on a draw of 0, never with no delta, no TTL or no key', () => {
    expect(refreshEarly(1, 1, 1e9, () => 0)).toBe(true);
    expect(refreshEarly(0, 1, 0, () => 0)).toBe(false);
    expect(refreshEarly(100, 1, -1, () => 0)).toBe(false);
    expect(refreshEarly(100, 1, -2, () => 0)).toBe(false);
  });
});
