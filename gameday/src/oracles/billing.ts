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
 * holds other than once; missed = a gap between consecutive periods, or a subscription whose next
 * period has been due for more than 30 s without a charge.
 */
export async function billingExactlyOnce(client: Client, writes: readonly AcknowledgedWrite[]): Promise<OracleResult> {
  const subs = writes.filter((w) => w.kind === 'subscription');
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
  const missed: unknown[] = [];
  const unreadable: string[] = [];
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
    for (const c of items) {
      const count = ledger.byReference[c.idempotencyKey] ?? 0;
      if (c.status === 'succeeded' && count !== 1)
        double.push({ subscription: s.id, key: c.idempotencyKey, providerCount: count });
    }
    const due = typeof sub.nextBillingAt === 'string' ? Date.parse(sub.nextBillingAt) : NaN;
    if (sub.status === 'active' && Date.now() - due > MISSED_AFTER_MS) {
      missed.push({ subscription: s.id, dueSince: sub.nextBillingAt });
    }
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
