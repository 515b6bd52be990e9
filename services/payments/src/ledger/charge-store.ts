import { randomUUID } from 'node:crypto';
import type { LedgerFile } from './ledger-file.js';

export interface ChargeRequest {
  readonly amount: number;
  readonly currency: string;
  readonly reference: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface Charge extends ChargeRequest {
  readonly id: string;
  readonly status: 'succeeded';
  readonly idempotencyKey: string;
  readonly createdAt: string;
}

/** One line of the ledger file: the charge and the fingerprint of the request that made it. */
export interface LedgerRecord {
  readonly charge: Charge;
  readonly fingerprint: string;
}

/**
 * The provider's ledger: every charge ever made, by id and by reference, indexed in memory and
 * written through to the ledger file before it is answered. It is the oracle for "charged
 * exactly once", so it only ever grows.
 */
export class ChargeStore {
  readonly #ledger: LedgerFile<LedgerRecord>;
  #byId = new Map<string, Charge>();
  #byReference = new Map<string, Charge[]>();
  #ordered: Charge[] = [];

  constructor(ledger: LedgerFile<LedgerRecord>) {
    this.#ledger = ledger;
    for (const record of ledger.loaded) this.#index(record.charge);
  }

  /** Makes a charge; resolves once it is durable (the ledger line is fsync'd). */
  async create(request: ChargeRequest, idempotencyKey: string, fingerprint: string): Promise<Charge> {
    const charge: Charge = {
      id: `ch_${randomUUID().replaceAll('-', '')}`,
      amount: request.amount,
      currency: request.currency,
      reference: request.reference,
      ...(request.metadata === undefined ? {} : { metadata: { ...request.metadata } }),
      status: 'succeeded',
      idempotencyKey,
      createdAt: new Date().toISOString(),
    };
    await this.#ledger.append({ charge, fingerprint });
    this.#index(charge);
    return charge;
  }

  #index(charge: Charge): void {
    this.#byId.set(charge.id, charge);
    const sameReference = this.#byReference.get(charge.reference);
    if (sameReference === undefined) this.#byReference.set(charge.reference, [charge]);
    else sameReference.push(charge);
    this.#ordered.push(charge);
  }

  get(id: string): Charge | undefined {
    return this.#byId.get(id);
  }

  /** Charges in creation order, filtered by reference when given, at most `limit`. */
  list(reference: string | undefined, limit: number): { data: Charge[]; hasMore: boolean } {
    const all = reference === undefined ? this.#ordered : (this.#byReference.get(reference) ?? []);
    return { data: all.slice(0, limit), hasMore: all.length > limit };
  }

  /** Every charge in creation order (the audit reads it). */
  all(): readonly Charge[] {
    return this.#ordered;
  }

  get size(): number {
    return this.#ordered.length;
  }
}
