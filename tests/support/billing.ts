import { expect, vi } from 'vitest';
import { call } from './http.js';
import { inside } from './cluster-calls.js';
import { chaos, isRunning } from './lab.js';

/** The billing replicas of the compose cluster. */
export const REPLICAS = ['billing-leader-1', 'billing-leader-2'] as const;
export type Replica = (typeof REPLICAS)[number];

export interface ReplicaStatus {
  readonly node: string;
  readonly leader: boolean;
  readonly token: string | null;
}

/** A replica's own view (`GET /v1/status`), or undefined while it is down, paused or not answering. */
export async function replicaStatus(replica: Replica): Promise<ReplicaStatus | undefined> {
  try {
    const res = await inside(replica, 3003, 'GET', '/v1/status');
    return res.status === 200 ? (JSON.parse(res.text) as ReplicaStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until exactly one of `candidates` leads; returns it and its token. */
export async function leaderAmong(
  candidates: readonly Replica[] = REPLICAS,
): Promise<{ replica: Replica; token: bigint }> {
  let found: { replica: Replica; token: bigint } | undefined;
  await vi.waitFor(
    async () => {
      const statuses = await Promise.all(candidates.map(replicaStatus));
      const leaders = statuses.flatMap((s, i) =>
        s?.leader === true ? [{ replica: candidates[i]!, token: BigInt(s.token!) }] : [],
      );
      expect(leaders).toHaveLength(1);
      found = leaders[0];
    },
    { timeout: 30_000, interval: 300 },
  );
  return found!;
}

/** One sample (summed over matching series) from a service's /metrics, read inside its container. */
export async function metric(
  service: string,
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const { text } = await inside(service, port, 'GET', '/metrics');
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Changes the run-time billing settings of the replicas that are up (`PUT /admin/billing`). */
export async function setBilling(
  patch: Record<string, unknown>,
  replicas: readonly Replica[] = REPLICAS,
): Promise<void> {
  for (const replica of replicas) {
    if (!(await isRunning(replica))) continue;
    const res = await inside(replica, 3003, 'PUT', '/admin/billing', patch);
    expect(res.status, res.text).toBe(200);
  }
}

/** Back to each replica's environment (`DELETE /admin/billing`). */
export async function resetBilling(): Promise<void> {
  for (const replica of REPLICAS) if (await isRunning(replica)) await inside(replica, 3003, 'DELETE', '/admin/billing');
}

/** The provider's fault flags (`PUT /admin/faults` on its admin port); `null` resets them. */
export async function setFaults(patch: Record<string, number> | null): Promise<void> {
  const res =
    patch === null
      ? await inside('payments', 3012, 'DELETE', '/admin/faults')
      : await inside('payments', 3012, 'PUT', '/admin/faults', patch);
  expect(res.status, res.text).toBe(200);
}

export interface Audit {
  readonly charges: number;
  readonly duplicateReferences: unknown[];
  readonly duplicateKeys: unknown[];
  readonly replays: number;
  readonly byReference: Record<string, number>;
}

/** The provider's oracle (`GET /v1/audit`), every billing reference with its count. */
export async function audit(): Promise<Audit> {
  return JSON.parse((await inside('payments', 3002, 'GET', '/v1/audit?prefix=sub:&detail=true')).text) as Audit;
}

export interface Subscribed {
  readonly accountId: string;
  readonly subscriptionId: string;
  /** next_billing_at at creation: the start of the first period. */
  readonly firstPeriod: string;
}

/** `count` accounts, each with an active `basic` subscription, made through the gateway. */
export async function subscribe(count: number, label: string): Promise<Subscribed[]> {
  const made: Subscribed[] = [];
  for (let i = 0; i < count; i++) {
    const account = await call('POST', '/v1/accounts', { body: { email: `${label}-${i}@bill.test`, name: label } });
    expect(account.status).toBe(201);
    const accountId = String(account.body.id);
    const sub = await call('POST', `/v1/accounts/${accountId}/subscriptions`, { body: { plan: 'basic' } });
    expect(sub.status).toBe(201);
    made.push({ accountId, subscriptionId: String(sub.body.id), firstPeriod: String(sub.body.nextBillingAt) });
  }
  return made;
}

export interface ChargeItem {
  readonly id: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly status: string;
  readonly token: string;
  readonly idempotencyKey: string;
  readonly providerChargeId: string | null;
  readonly updatedAt: string;
}

export async function chargesOf(s: Subscribed): Promise<ChargeItem[]> {
  const res = await call('GET', `/v1/accounts/${s.accountId}/subscriptions/${s.subscriptionId}/charges`);
  expect(res.status).toBe(200);
  return res.body.items as ChargeItem[];
}

/** Charges per subscription (the smallest count tells whether every one has billed enough periods). */
export async function fewestCharges(subs: readonly Subscribed[]): Promise<number> {
  let fewest = Infinity;
  for (const s of subs) fewest = Math.min(fewest, (await chargesOf(s)).length);
  return fewest;
}

/**
 * Ends a billing run: periods become an hour long, so the leader charges what is due (each
 * subscription's next period is then an hour long) and settles every pending charge; after that
 * nothing more is due while the oracle reads.
 */
export async function windDown(subs: readonly Subscribed[]): Promise<void> {
  for (const replica of REPLICAS) if (!(await isRunning(replica))) await chaos('start', replica);
  await vi.waitFor(async () => expect((await Promise.all(REPLICAS.map(replicaStatus))).every(Boolean)).toBe(true), {
    timeout: 60_000,
    interval: 500,
  });
  await setFaults(null);
  await setBilling({ periodSeconds: 3600, pendingRetryAfterMs: 0, writeStallMs: 0 });
  await vi.waitFor(
    async () => {
      for (const s of subs) {
        const charges = await chargesOf(s);
        expect(charges.filter((c) => c.status !== 'succeeded')).toEqual([]);
        // The last charge opened an hour-long period: nothing more is due during the checks.
        const last = charges.at(-1)!;
        expect(Date.parse(last.periodEnd) - Date.parse(last.periodStart)).toBeGreaterThanOrEqual(3_600_000);
      }
    },
    { timeout: 60_000, interval: 1000 },
  );
}

/**
 * The oracle: every subscription's charges are gap-free from its first period (each period starts
 * where the previous ended), all succeeded, and the provider holds exactly one charge per key and
 * no other key of these subscriptions; no reference anywhere is charged twice. Cancels them after.
 */
export async function expectBilledExactlyOnce(subs: readonly Subscribed[]): Promise<{ charges: number }> {
  const ledger = await audit();
  expect(ledger.duplicateReferences).toEqual([]);
  expect(ledger.duplicateKeys).toEqual([]);
  let total = 0;
  for (const s of subs) {
    const charges = await chargesOf(s);
    total += charges.length;
    expect(charges[0]?.periodStart).toBe(s.firstPeriod);
    for (let i = 1; i < charges.length; i++) expect(charges[i]!.periodStart).toBe(charges[i - 1]!.periodEnd);
    const keys = charges.map((c) => c.idempotencyKey).sort();
    const provider = Object.keys(ledger.byReference).filter((k) => k.startsWith(`sub:${s.subscriptionId}:`));
    expect(provider.sort()).toEqual(keys);
    expect(provider.every((k) => ledger.byReference[k] === 1)).toBe(true);
  }
  for (const s of subs) await call('POST', `/v1/accounts/${s.accountId}/subscriptions/${s.subscriptionId}/cancel`);
  await resetBilling();
  return { charges: total };
}

/** Keeps a fault in place for `ms`: part of an experiment's timeline (the fault's length), not a wait for a condition. */
export function holdFault(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
