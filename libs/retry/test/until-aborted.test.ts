import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { untilAborted } from '../src/until-aborted.js';

describe('untilAborted', () => {
  it('leaves no listener behind once disposed, however often it is used', () => {
    const controller = new AbortController();
    for (let i = 0; i < 1000; i++) untilAborted(controller.signal).dispose();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('resolves on abort, and at once for a signal already aborted', async () => {
    const controller = new AbortController();
    const waiting = untilAborted(controller.signal);
    controller.abort();
    await expect(waiting.promise).resolves.toBe('stopped');
    await expect(untilAborted(controller.signal).promise).resolves.toBe('stopped');
  });
});
