import { describe, expect, it } from 'vitest';
import { createBackoff, retry } from '../src/index.js';

describe('createBackoff', () => {
  it('grows by the factor up to the maximum, jitter only shortening a delay, and resets', () => {
    const backoff = createBackoff({ minMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 });
    const delays = Array.from({ length: 6 }, () => backoff.next());
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeLessThanOrEqual(ceilings[i]!);
      expect(d).toBeGreaterThanOrEqual(ceilings[i]! / 2);
    });
    backoff.reset();
    expect(backoff.next()).toBeLessThanOrEqual(100);
  });

  it('without jitter gives the exact sequence', () => {
    const backoff = createBackoff({ minMs: 10, maxMs: 50, jitter: 0 });
    expect(Array.from({ length: 4 }, () => backoff.next())).toEqual([10, 20, 40, 50]);
  });
});

describe('retry', () => {
  it('retries until the call succeeds, reporting each failure', async () => {
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return attempt;
      },
      { minMs: 1, maxMs: 2, onRetry: (_err, attempt) => seen.push(attempt) },
    );
    expect(result).toBe(3);
    expect(seen).toEqual([1, 2]);
  });

  it('gives up after `attempts` and rethrows the last error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error(`fail ${calls}`);
        },
        { minMs: 1, attempts: 3 },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  it('rethrows at once what shouldRetry refuses', async () => {
    let calls = 0;
    const permanent = new RangeError('permanent');
    await expect(
      retry(
        async () => {
          calls++;
          throw permanent;
        },
        { minMs: 1, shouldRetry: (err) => !(err instanceof RangeError) },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it('stops during its wait when the signal aborts, with the signal reason', async () => {
    const stop = new AbortController();
    const reason = new Error('shutting down');
    let calls = 0;
    const running = retry(
      async () => {
        calls++;
        throw new Error('unreachable');
      },
      // A long wait: only the abort can end it.
      { minMs: 60_000, signal: stop.signal, onRetry: () => stop.abort(reason) },
    );
    await expect(running).rejects.toBe(reason);
    expect(calls).toBe(1);
  });

  it('does not call fn at all with an aborted signal', async () => {
    let calls = 0;
    await expect(retry(async () => ++calls, { signal: AbortSignal.abort() })).rejects.toBeDefined();
    expect(calls).toBe(0);
  });
});
