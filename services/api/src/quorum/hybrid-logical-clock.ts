// Counter digits in a version; at 999999 ticks within one millisecond the clock moves to the next one.
const COUNTER_DIGITS = 6;
const COUNTER_MAX = 10 ** COUNTER_DIGITS - 1;
const VERSION = /^(\d{15})-(\d{6})-(.+)$/;

/** A parsed version: physical milliseconds, logical counter, and the node that issued it. */
export interface Timestamp {
  readonly ms: number;
  readonly counter: number;
  readonly node: string;
}

/** `000001764733290123-000004-api-1`: fixed width, so comparing the strings compares the times. */
export function formatVersion(t: Timestamp): string {
  return `${String(t.ms).padStart(15, '0')}-${String(t.counter).padStart(COUNTER_DIGITS, '0')}-${t.node}`;
}

/** The parts of a version this clock format issued; undefined for anything else. */
export function parseVersion(version: string): Timestamp | undefined {
  const m = VERSION.exec(version);
  return m === null ? undefined : { ms: Number(m[1]), counter: Number(m[2]), node: m[3]! };
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b` (plain byte order). */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A hybrid logical clock (Kulkarni et al.): the wall clock in ms while it moves forward, plus a
 * counter that orders events within one ms or while the wall clock lags behind a version already
 * seen, plus the node id as the tiebreak between nodes. Versions it issues always grow, and after
 * `observe(v)` they are newer than `v`: a write made after reading v supersedes v, even from a node
 * whose clock is behind.
 */
export class HybridLogicalClock {
  readonly #node: string;
  readonly #now: () => number;
  #ms = 0;
  #counter = 0;

  /** `now` defaults to Date.now. */
  constructor(node: string, now: () => number = Date.now) {
    this.#node = node;
    this.#now = now;
  }

  /** The next version of this node. */
  tick(): string {
    const wall = this.#now();
    if (wall > this.#ms) {
      this.#ms = wall;
      this.#counter = 0;
    } else if (this.#counter < COUNTER_MAX) {
      this.#counter++;
    } else {
      this.#ms++;
      this.#counter = 0;
    }
    return formatVersion({ ms: this.#ms, counter: this.#counter, node: this.#node });
  }

  /** Moves the clock up to a version seen elsewhere (a read), so the next tick is newer than it. */
  observe(version: string): void {
    const t = parseVersion(version);
    if (t === undefined) return;
    if (t.ms > this.#ms || (t.ms === this.#ms && t.counter > this.#counter)) {
      this.#ms = t.ms;
      this.#counter = t.counter;
    }
  }
}
