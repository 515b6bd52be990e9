import { inside } from '@sdl/compose';
import type { Client } from '../load/http-client.js';
import type { AcknowledgedWrite } from '../load/workload.js';
import type { OracleResult } from './oracle.js';

interface Audit {
  readonly duplicateReferences: unknown[];
  readonly duplicateKeys: unknown[];
  readonly byReference: Record<string, number>;
}
interface Charge {
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly status: string;
  readonly idempotencyKey: string;
}

/** A period due longer ago than this without a charge counts as missed (the leader had time to bill it). */
const MISSED_AFTER_MS = 30_000;

async function get(client: Client, key: string, path: string): Promise<Record<string, unknown> | undefined> {
  const sent = await client.send({ operation: 'account.read', routeClass: 'read', key, method: 'GET', path });
  return sent.status === 200 ? sent.answer : undefined;
}

/**
 * billing-exactly-once, from the provider's ledger (payments `GET /v1/audit`, the test oracle the
 * billing e2e tests use) and each run subscription's `charges` rows (through the gateway):
 * double = a reference or key the provider charged twice, or a succeeded charge row the provider
 * holds more than once; missed = a gap between consecutive periods, a subscription whose next
 * period has been due for more than 30 s without a charge, or a succeeded row the provider lacks.
 */
export async function billingExactlyOnce(client: Client, writes: readonly AcknowledgedWrite[]): Promise<OracleResult> {
  const subs = writes.filter((w) => w.kind === 'subscription');
  // The charges first, the provider's ledger after: a row marked succeeded was answered by the
  // provider before it was written, so the ledger read later holds it. (Read the other way round,
  // a charge that succeeded meanwhile looks as if the provider never had it.)
  const missed: unknown[] = [];
  const unreadable: string[] = [];
  const succeeded: Array<{ subscription: string; key: string }> = [];
  let charges = 0;
  for (const s of subs) {
    const base = `/v1/accounts/${s.accountId}/subscriptions/${s.id}`;
    const sub = await get(client, s.key, base);
    const list = await get(client, s.key, `${base}/charges`);
    if (sub === undefined || list === undefined) {
      unreadable.push(s.id);
      continue;
    }
    const items = list.items as Charge[];
    charges += items.length;
    for (let i = 1; i < items.length; i++) {
      if (items[i]!.periodStart !== items[i - 1]!.periodEnd)
        missed.push({ subscription: s.id, gapAfter: items[i - 1]!.periodEnd });
    }
    for (const c of items) if (c.status === 'succeeded') succeeded.push({ subscription: s.id, key: c.idempotencyKey });
    const due = typeof sub.nextBillingAt === 'string' ? Date.parse(sub.nextBillingAt) : NaN;
    if (sub.status === 'active' && Date.now() - due > MISSED_AFTER_MS) {
      missed.push({ subscription: s.id, dueSince: sub.nextBillingAt });
    }
  }
  let ledger: Audit;
  try {
    ledger = JSON.parse((await inside('payments', 3002, 'GET', '/v1/audit?prefix=sub:&detail=true')).text) as Audit;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      name: 'billing-exactly-once',
      verdict: 'not-run',
      summary: `provider audit unreadable: ${reason}`,
      evidence: {},
    };
  }
  const double: unknown[] = [...ledger.duplicateReferences, ...ledger.duplicateKeys];
  for (const c of succeeded) {
    const count = ledger.byReference[c.key] ?? 0;
    if (count > 1) double.push({ ...c, providerCount: count });
    // Succeeded in the database, unknown to the provider: a charge recorded that never happened.
    else if (count === 0)
      missed.push({ ...c, providerCount: count, problem: 'succeeded row the provider does not hold' });
  }
  if (subs.length === 0) {
    return {
      name: 'billing-exactly-once',
      verdict: double.length === 0 ? 'pass' : 'fail',
      summary: `no subscription made in this run; the provider's ledger holds ${double.length} double charges`,
      evidence: { double: double.slice(0, 50) },
    };
  }
  const ok = double.length === 0 && missed.length === 0 && unreadable.length === 0;
  return {
    name: 'billing-exactly-once',
    verdict: ok ? 'pass' : 'fail',
    summary: `${subs.length} subscriptions, ${charges} charges: ${double.length} double, ${missed.length} missed, ${unreadable.length} unreadable`,
    evidence: {
      subscriptions: subs.length,
      charges,
      double: double.slice(0, 50),
      missed: missed.slice(0, 50),
      unreadable,
    },
  };
}
