import { setTimeout as sleep } from 'node:timers/promises';
import { onShard } from '@sdl/compose';
import type { AcknowledgedWrite } from '../load/workload.js';
import { apiMetrics, metricIn } from './api-metrics.js';
import type { OracleResult } from './oracle.js';

/** The physical shards of the compose cluster (pg-N-primary). */
const SHARDS = [0, 1];
/** The api's work-sharing group on billing.events and its rows in processed_events (`<consumer>:<event id>`). */
const GROUP = 'api-billing-ledger';
const CONSUMER = 'billing-ledger';
/** Ids are `acc_...`: checked before they go into SQL text. */
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** One `charge.*` event in the outbox, and whether the ledger's consumer recorded it as applied. */
export interface ChargeEventRow {
  readonly eventId: string;
  readonly accountId: string;
  readonly type: string;
  readonly amountCents: number;
  /** When its outbox row was written (ms since the epoch). */
  readonly createdAtMs: number;
  /** Its `billing-ledger:<event id>` row exists in processed_events. */
  readonly applied: boolean;
}

/** An account's billing_ledger row (the projection's totals). */
export interface LedgerTotals {
  readonly created: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cents: number;
}

/** What one read of the shards saw: each shard's events and ledger rows come from one statement (one snapshot). */
export interface LedgerSnapshot {
  readonly events: readonly ChargeEventRow[];
  readonly ledgers: ReadonlyMap<string, LedgerTotals>;
}

const ZERO: LedgerTotals = { created: 0, succeeded: 0, failed: 0, cents: 0 };

/** The totals the ledger must show for `events` (those applied). */
export function totalsOf(events: readonly ChargeEventRow[]): LedgerTotals {
  let { created, succeeded, failed, cents } = ZERO;
  for (const e of events) {
    if (e.type === 'charge.created') created++;
    else if (e.type === 'charge.succeeded') {
      succeeded++;
      cents += e.amountCents;
    } else if (e.type === 'charge.failed') failed++;
  }
  return { created, succeeded, failed, cents };
}

/** Events and ledger rows of `accounts`, from every shard (the ledger's consumer writes both tables in one transaction). */
export async function readLedgers(accounts: readonly string[]): Promise<LedgerSnapshot> {
  const list = accounts.filter((id) => SAFE_ID.test(id)).join(',');
  const events: ChargeEventRow[] = [];
  const ledgers = new Map<string, LedgerTotals>();
  if (list === '') return { events, ledgers };
  // One statement per shard: the processed rows and the ledger rows it returns are one snapshot.
  const sql = `WITH ev AS (
      SELECT o.event_id::text AS id, o.payload->>'accountId' AS account, o.event_type,
             coalesce((o.payload->>'amountCents')::bigint, 0) AS cents,
             floor(extract(epoch FROM o.created_at) * 1000)::bigint AS at
        FROM outbox o
       WHERE o.aggregate_type = 'charge' AND o.payload->>'accountId' = ANY('{${list}}'::text[]))
    SELECT 'e', ev.id, ev.account, ev.event_type, ev.cents, ev.at, (p.id IS NOT NULL)::text, 0, 0, 0
      FROM ev LEFT JOIN processed_events p ON p.id = '${CONSUMER}:' || ev.id
    UNION ALL
    SELECT 'l', id, id, '', charged_cents, 0, '', charges_created, charges_succeeded, charges_failed
      FROM billing_ledger WHERE id = ANY('{${list}}'::text[])`;
  for (const shard of SHARDS) {
    for (const [kind, id, account, type, cents, at, applied, created, succeeded, failed] of await onShard(shard, sql)) {
      if (kind === 'e') {
        const row = { eventId: id!, accountId: account!, type: type!, amountCents: Number(cents) };
        events.push({ ...row, createdAtMs: Number(at), applied: applied === 'true' });
        continue;
      }
      // Summed over the shards: after a partition move its rows may be on either.
      const prior = ledgers.get(account!) ?? ZERO;
      ledgers.set(account!, {
        created: prior.created + Number(created),
        succeeded: prior.succeeded + Number(succeeded),
        failed: prior.failed + Number(failed),
        cents: prior.cents + Number(cents),
      });
    }
  }
  return { events, ledgers };
}

/**
 * The verdict on one snapshot: every charge event written by `cutoffMs` is applied (its processed
 * row exists), and each account's ledger shows exactly the totals of its applied events: more is an
 * effect applied twice (or without its record), less an event recorded without its effect. A run
 * with no charge event by the cutoff proved nothing and fails.
 */
export function judgeLedgers(
  snapshot: LedgerSnapshot,
  options: { readonly accounts: readonly string[]; readonly cutoffMs: number; readonly withinS: number },
): OracleResult {
  const due = snapshot.events.filter((e) => e.createdAtMs <= options.cutoffMs);
  const missing = due
    .filter((e) => !e.applied)
    .map((e) => ({ eventId: e.eventId, accountId: e.accountId, type: e.type }));
  const doubled: unknown[] = [];
  const withoutEffect: unknown[] = [];
  let extra = 0;
  let lacking = 0;
  for (const accountId of options.accounts) {
    const applied = totalsOf(snapshot.events.filter((e) => e.accountId === accountId && e.applied));
    const ledger = snapshot.ledgers.get(accountId) ?? ZERO;
    const keys = ['created', 'succeeded', 'failed'] as const;
    const over = keys.reduce((sum, k) => sum + Math.max(0, ledger[k] - applied[k]), 0);
    const under = keys.reduce((sum, k) => sum + Math.max(0, applied[k] - ledger[k]), 0);
    if (over > 0 || ledger.cents > applied.cents) doubled.push({ accountId, ledger, applied });
    if (under > 0 || ledger.cents < applied.cents) withoutEffect.push({ accountId, ledger, applied });
    extra += over;
    lacking += under;
  }
  const byType = totalsOf(due);
  const ok = due.length > 0 && missing.length === 0 && doubled.length === 0 && withoutEffect.length === 0;
  const summary =
    due.length === 0
      ? `no charge event of the run's ${options.accounts.length} accounts by its end: nothing was delivered to judge`
      : `${due.length} charge events of ${options.accounts.length} accounts by the run's end ` +
        `(${byType.created} created, ${byType.succeeded} succeeded, ${byType.failed} failed): ` +
        `${missing.length} not applied ${options.withinS} s after it; ledgers: ${doubled.length} accounts over their ` +
        `applied events (${extra} extra), ${withoutEffect.length} under (${lacking} lacking)`;
  return {
    name: 'ledger-exactly-once',
    verdict: ok ? 'pass' : 'fail',
    summary,
    evidence: {
      accounts: options.accounts.length,
      chargeEvents: due.length,
      byType,
      applied: due.length - missing.length,
      missing: missing.slice(0, 50),
      doubled: doubled.slice(0, 50),
      withoutEffect: withoutEffect.slice(0, 50),
      withinS: options.withinS,
    },
  };
}

/** Per running api node: the group's partitions it holds now and the redeliveries its ledger absorbed since it started. */
async function groupState(): Promise<Record<string, { partitions: number; duplicatesSinceStart: number }>> {
  const state: Record<string, { partitions: number; duplicatesSinceStart: number }> = {};
  // Evidence only: a node that does not answer is left out.
  const texts = await apiMetrics().catch(() => ({}) as Record<string, string>);
  for (const [node, text] of Object.entries(texts)) {
    state[node] = {
      partitions: metricIn(text, 'api_kafka_assigned_partitions', [`group="${GROUP}"`]),
      duplicatesSinceStart: metricIn(text, 'api_billing_ledger_events_total', ['result="duplicate"']),
    };
  }
  return state;
}

/**
 * ledger-exactly-once: the api's work-sharing consumer (group api-billing-ledger) applied every
 * charge event of the run's subscribed accounts written by the run's end exactly once: each has its
 * processed row within `withinS` (a dead member's partitions wait for its session to time out and
 * the group to rebalance), and each account's ledger equals the totals of its applied events.
 */
export async function ledgerExactlyOnce(writes: readonly AcknowledgedWrite[], withinS = 60): Promise<OracleResult> {
  const accounts = [...new Set(writes.filter((w) => w.kind === 'subscription').map((w) => w.accountId))];
  const cutoffMs = Date.now();
  const started = Date.now();
  const judge = async () => judgeLedgers(await readLedgers(accounts), { accounts, cutoffMs, withinS });
  let result = await judge();
  // Only events not applied yet can change; a ledger off its applied events stays off.
  const waiting = (r: OracleResult) => (r.evidence.missing as unknown[]).length > 0;
  while (waiting(result) && Date.now() - started < withinS * 1000) {
    await sleep(2000);
    result = await judge();
  }
  const group = await groupState();
  return { ...result, evidence: { ...result.evidence, waitedS: Math.round((Date.now() - started) / 1000), group } };
}
