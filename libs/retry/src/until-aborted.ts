/**
 * A promise that resolves to 'stopped' when `signal` aborts, and a `dispose()` that removes its
 * listener. Long-lived signals (a relay's stop signal, raced on every tick) must not collect one
 * listener per use: AbortSignal never warns about that, the listeners just pile up.
 */
export function untilAborted(signal: AbortSignal): { promise: Promise<'stopped'>; dispose: () => void } {
  if (signal.aborted) return { promise: Promise.resolve('stopped'), dispose: () => undefined };
  let onAbort: () => void = () => undefined;
  const promise = new Promise<'stopped'>((resolve) => {
    onAbort = () => resolve('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}
