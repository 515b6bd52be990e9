import type { Charge } from '../ledger/charge-store.js';

export interface AuditQuery {
  /** Only references starting with this (billing's are `sub:`). */
  readonly prefix?: string;
  /** Add `byReference`: the number of charges of every reference. */
  readonly detail?: boolean;
}

export interface AuditReport {
  readonly charges: number;
  readonly references: number;
  readonly keys: number;
  /** References charged more than once: for billing, a double charge. */
  readonly duplicateReferences: { reference: string; charges: number; keys: string[] }[];
  /** Keys charged more than once: a broken idempotency store; always empty. */
  readonly duplicateKeys: { key: string; charges: number }[];
  /** Requests answered with an earlier charge, and the distinct keys they named (since start). */
  readonly replays: number;
  readonly replayedKeys: number;
  readonly byReference?: Record<string, number>;
}

const MAX_LISTED = 100;

/**
 * The "charged exactly once" oracle in one answer. Charges come from the durable ledger; replays
 * are counted in memory since the process started (a replay changes nothing worth an fsync).
 */
export class Audit {
  readonly #replays = new Map<string, number>();

  noteReplay(key: string): void {
    this.#replays.set(key, (this.#replays.get(key) ?? 0) + 1);
  }

  report(charges: readonly Charge[], query: AuditQuery): AuditReport {
    const prefix = query.prefix ?? '';
    const byReference = new Map<string, Charge[]>();
    const byKey = new Map<string, number>();
    let count = 0;
    for (const charge of charges) {
      if (!charge.reference.startsWith(prefix)) continue;
      count += 1;
      const same = byReference.get(charge.reference);
      if (same === undefined) byReference.set(charge.reference, [charge]);
      else same.push(charge);
      byKey.set(charge.idempotencyKey, (byKey.get(charge.idempotencyKey) ?? 0) + 1);
    }
    let replays = 0;
    let replayedKeys = 0;
    for (const [key, n] of this.#replays) {
      if (!key.startsWith(prefix)) continue;
      replays += n;
      replayedKeys += 1;
    }
    const report: AuditReport = {
      charges: count,
      references: byReference.size,
      keys: byKey.size,
      duplicateReferences: [...byReference]
        .filter(([, list]) => list.length > 1)
        .slice(0, MAX_LISTED)
        .map(([reference, list]) => ({ reference, charges: list.length, keys: list.map((c) => c.idempotencyKey) })),
      duplicateKeys: [...byKey]
        .filter(([, n]) => n > 1)
        .slice(0, MAX_LISTED)
        .map(([key, n]) => ({ key, charges: n })),
      replays,
      replayedKeys,
    };
    if (query.detail !== true) return report;
    return { ...report, byReference: Object.fromEntries([...byReference].map(([r, list]) => [r, list.length])) };
  }
}
