import { createHash } from 'node:crypto';
import { AppError } from '@sdl/errors';
import { PaymentsErrors } from '../errors.js';

// Key order must not matter: `{a,b}` and `{b,a}` are the same request.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A stable digest of a request body, compared when a key is reused. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

export interface IdempotentResult<T> {
  readonly value: T;
  /** True when the value is a stored result of an earlier request with the same key. */
  readonly replayed: boolean;
  /** True when this request waited for a concurrent one with the same key. */
  readonly waited: boolean;
}

/**
 * Stripe-like idempotency keys. A key's first successful result is kept forever and replayed for
 * the same body; a different body is a 422. While a key is in flight, requests with the same key
 * and body wait for it (they never 409) and then replay its result, so concurrent retries all see
 * the one charge. A failed attempt stores nothing: the next request with the key runs afresh.
 * Results come back from the ledger at start-up (`remember`), so keys outlive a restart.
 */
export class IdempotencyStore<T> {
  #done = new Map<string, { fingerprint: string; value: T }>();
  #inFlight = new Map<string, { fingerprint: string; settled: Promise<void> }>();

  /** Records a result made before this process started (read back from the ledger). */
  remember(key: string, print: string, value: T): void {
    this.#done.set(key, { fingerprint: print, value });
  }

  async execute(key: string, print: string, work: () => Promise<T>): Promise<IdempotentResult<T>> {
    let waited = false;
    // Each turn either answers, or waits for the in-flight attempt and looks again: it may have failed.
    for (;;) {
      const done = this.#done.get(key);
      if (done !== undefined) {
        if (done.fingerprint !== print) throw new AppError(PaymentsErrors.idempotencyMismatch);
        return { value: done.value, replayed: true, waited };
      }
      const pending = this.#inFlight.get(key);
      if (pending === undefined) break;
      if (pending.fingerprint !== print) throw new AppError(PaymentsErrors.idempotencyMismatch);
      waited = true;
      await pending.settled;
    }
    // Between the checks above and this claim there is no await, so no other request can claim the key.
    let release = (): void => {};
    const settled = new Promise<void>((resolve) => (release = resolve));
    this.#inFlight.set(key, { fingerprint: print, settled });
    try {
      const value = await work();
      this.#done.set(key, { fingerprint: print, value });
      return { value, replayed: false, waited };
    } finally {
      this.#inFlight.delete(key);
      release();
    }
  }
}
