/** An abort signal that Ctrl-C (SIGINT) fires, and the way to stop listening. */
export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns the first SIGINT into an abort (the load stops, the method stops, the rollbacks run) and a
 * second one back into Node's default (exit at once) for a person who really wants out.
 */
export function abortOnSigint(): Interrupt {
  const controller = new AbortController();
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    controller.abort(new Error('interrupted (SIGINT)'));
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
