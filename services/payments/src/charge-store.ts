import { randomUUID } from 'node:crypto';

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

/**
 * The provider's ledger, in memory: every charge ever made, by id and by reference. It is the
 * oracle for "charged exactly once", so it only ever grows.
 */
export class ChargeStore {
  #byId = new Map<string, Charge>();
  #byReference = new Map<string, Charge[]>();
  #ordered: Charge[] = [];

  create(request: ChargeRequest, idempotencyKey: string): Charge {
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
    this.#byId.set(charge.id, charge);
    const sameReference = this.#byReference.get(charge.reference);
    if (sameReference === undefined) this.#byReference.set(charge.reference, [charge]);
    else sameReference.push(charge);
    this.#ordered.push(charge);
    return charge;
  }

  get(id: string): Charge | undefined {
    return this.#byId.get(id);
  }

  /** Charges in creation order, filtered by reference when given, at most `limit`. */
  list(reference: string | undefined, limit: number): { data: Charge[]; hasMore: boolean } {
    const all = reference === undefined ? this.#ordered : (this.#byReference.get(reference) ?? []);
    return { data: all.slice(0, limit), hasMore: all.length > limit };
  }

  get size(): number {
    return this.#ordered.length;
  }
}
