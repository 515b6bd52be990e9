/**
 * Collapses concurrent calls for one key into one: while a load for `key` is in flight, every
 * other caller awaits the same promise. Per node only; across nodes the fill lease
 * (stampede-lease.ts) keeps the database from seeing one read per node per cold key.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  get size(): number {
    return this.#inFlight.size;
  }

  async do(key: string, load: () => Promise<T>): Promise<T> {
    const current = this.#inFlight.get(key);
    if (current !== undefined) return current;
    const next = load().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, next);
    return next;
  }
}

export function createSingleFlight<T>(): SingleFlight<T> {
  return new SingleFlight<T>();
}
