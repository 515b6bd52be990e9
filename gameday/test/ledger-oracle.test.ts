import { describe, expect, it } from 'vitest';
import { metricIn } from '../src/oracles/api-metrics.js';
import {
  judgeLedgers,
  totalsOf,
  type ChargeEventRow,
  type LedgerSnapshot,
  type LedgerTotals,
} from '../src/oracles/ledger-exactly-once.js';

const CUTOFF = 100_000;
let n = 0;
/** A charge event of `accountId` written at `at` ms, applied unless said otherwise. */
const event = (accountId: string, type: string, at = 50_000, applied = true): ChargeEventRow => ({
  eventId: `ev-${++n}`,
  accountId,
  type,
  amountCents: type === 'charge.succeeded' ? 500 : 0,
  createdAtMs: at,
  applied,
});
/** Two charges of acc_a, both succeeded, one of acc_b, failed: what the consumer saw. */
const stream = (): ChargeEventRow[] => [
  event('acc_a', 'charge.created'),
  event('acc_a', 'charge.succeeded'),
  event('acc_a', 'charge.created'),
  event('acc_a', 'charge.succeeded'),
  event('acc_b', 'charge.created'),
  event('acc_b', 'charge.failed'),
];
const snapshot = (events: ChargeEventRow[], ledgers: Record<string, LedgerTotals>): LedgerSnapshot => ({
  events,
  ledgers: new Map(Object.entries(ledgers)),
});
const judge = (s: LedgerSnapshot) => judgeLedgers(s, { accounts: ['acc_a', 'acc_b'], cutoffMs: CUTOFF, withinS: 60 });
const A = { created: 2, succeeded: 2, failed: 0, cents: 1000 };
const B = { created: 1, succeeded: 0, failed: 1, cents: 0 };

describe('ledger-exactly-once oracle', () => {
  it('adds up the totals of events by type, cents of the succeeded ones only', () => {
    expect(totalsOf(stream())).toEqual({ created: 3, succeeded: 2, failed: 1, cents: 1000 });
    expect(totalsOf([])).toEqual({ created: 0, succeeded: 0, failed: 0, cents: 0 });
  });

  it('passes when every event is applied once and each ledger equals its applied events', () => {
    const result = judge(snapshot(stream(), { acc_a: A, acc_b: B }));
    expect(result.verdict).toBe('pass');
    expect(result.summary).toContain('6 charge events of 2 accounts');
    expect(result.summary).toContain('0 not applied');
  });

  it('waits for nothing written after the run: an event after the cutoff, not applied yet, is no loss', () => {
    const late = event('acc_a', 'charge.created', CUTOFF + 1, false);
    expect(judge(snapshot([...stream(), late], { acc_a: A, acc_b: B })).verdict).toBe('pass');
  });

  it('fails on an event never applied (at-most-once: committed before it was processed, then a crash)', () => {
    const events = stream();
    events[3] = { ...events[3]!, applied: false };
    const result = judge(snapshot(events, { acc_a: { created: 2, succeeded: 1, failed: 0, cents: 500 }, acc_b: B }));
    expect(result.verdict).toBe('fail');
    expect(result.evidence.missing).toEqual([
      { eventId: events[3]!.eventId, accountId: 'acc_a', type: 'charge.succeeded' },
    ]);
    expect(result.summary).toContain('1 not applied 60 s after it');
  });

  it('fails on an effect applied twice (at-least-once without de-duplication: a redelivery counted again)', () => {
    const result = judge(snapshot(stream(), { acc_a: { created: 2, succeeded: 3, failed: 0, cents: 1500 }, acc_b: B }));
    expect(result.verdict).toBe('fail');
    expect(result.evidence.doubled).toEqual([{ accountId: 'acc_a', ledger: expect.any(Object), applied: A }]);
    expect(result.summary).toContain('1 accounts over their applied events (1 extra)');
  });

  it('fails on an event recorded as processed whose effect is missing (record and effect not in one transaction)', () => {
    const result = judge(snapshot(stream(), { acc_a: A }));
    expect(result.verdict).toBe('fail');
    expect(result.evidence.withoutEffect).toEqual([{ accountId: 'acc_b', ledger: expect.any(Object), applied: B }]);
    expect(result.summary).toContain('1 under (2 lacking)');
  });

  it('fails a run with no charge event by its end: nothing was delivered to judge', () => {
    const result = judge(snapshot([], {}));
    expect(result.verdict).toBe('fail');
    expect(result.summary).toContain('nothing was delivered to judge');
  });

  it("reads a gauge of one group and a counter's label from an exposition", () => {
    const text = [
      'api_kafka_assigned_partitions{group="api-billing-ledger",topic="billing.events"} 2',
      'api_kafka_assigned_partitions{group="api-l1-api-1",topic="accounts.events"} 4',
      'api_billing_ledger_events_total{result="duplicate"} 3',
      'api_billing_ledger_events_total{result="applied"} 40',
    ].join('\n');
    expect(metricIn(text, 'api_kafka_assigned_partitions', ['group="api-billing-ledger"'])).toBe(2);
    expect(metricIn(text, 'api_billing_ledger_events_total', ['result="duplicate"'])).toBe(3);
  });
});
