// From next_billing_at to the charge, p50/p99, in the compose cluster: a steady phase, then the
// same length with the leader killed every KILL_EVERY_S seconds (ratio against the steady phase).
// Needs the cluster up (`./lab start`); it changes only what it creates and resets the settings.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inside, onShard } from '../../tests/support/cluster-calls.ts';
import { onCleanup, percentile, runBench, table } from '../api/stack.ts';

const run = promisify(execFile);
const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 40);
const PERIOD_S = Number(process.env.PERIOD_S ?? 2);
const PHASE_S = Number(process.env.PHASE_S ?? 45);
const KILL_EVERY_S = Number(process.env.KILL_EVERY_S ?? 8);
const GATEWAY = `http://127.0.0.1:${process.env.GATEWAY_PORT ?? '8080'}`;
const REPLICAS = ['billing-leader-1', 'billing-leader-2'];

const lab = async (...args: string[]): Promise<string> => (await run('./lab', args, { maxBuffer: 1 << 24 })).stdout;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const admin = async (service: string, method: string, path: string, body?: unknown): Promise<string> =>
  (await inside(service, 3003, method, path, body)).text;

async function gateway(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${GATEWAY}${path}`, {
    method,
    headers: { 'x-api-key': 'lab-demo-key', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
}

async function leader(): Promise<string> {
  for (;;) {
    for (const replica of REPLICAS) {
      const status = await admin(replica, 'GET', '/v1/status').catch(() => '{}');
      if ((JSON.parse(status) as { leader?: boolean }).leader === true) return replica;
    }
    await sleep(200);
  }
}

/** Seconds from period start to the pending row, and to the settled charge, of the periods due in [from, to). */
async function delays(subs: readonly string[], from: Date, to: Date): Promise<{ row: number[]; settled: number[] }> {
  const sql = `SELECT extract(epoch FROM created_at - period_start), extract(epoch FROM updated_at - period_start)
                 FROM charges WHERE subscription_id IN (${subs.map((s) => `'${s}'`).join(',')})
                  AND period_start >= '${from.toISOString()}' AND period_start < '${to.toISOString()}'`;
  const rows = (await Promise.all(([0, 1] as const).map((shard) => onShard(shard, sql))))
    .flat()
    .map((r) => r.map(Number));
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return { row: sorted(rows.map((r) => r[0]!)), settled: sorted(rows.map((r) => r[1]!)) };
}

await runBench('bench/billing/delay', 600, async () => {
  const subs: { account: string; id: string }[] = [];
  onCleanup(async () => {
    for (const s of subs)
      await gateway('POST', `/v1/accounts/${s.account}/subscriptions/${s.id}/cancel`).catch(() => undefined);
    for (const replica of REPLICAS) await lab('chaos', 'start', replica).catch(() => undefined);
    for (const replica of REPLICAS) await admin(replica, 'DELETE', '/admin/billing').catch(() => undefined);
  });
  for (const replica of REPLICAS) await admin(replica, 'PUT', '/admin/billing', { periodSeconds: PERIOD_S });
  for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
    const account = await gateway('POST', '/v1/accounts', { email: `delay${i}@bench`, name: 'delay' });
    const sub = await gateway('POST', `/v1/accounts/${String(account.id)}/subscriptions`, { plan: 'basic' });
    subs.push({ account: String(account.id), id: String(sub.id) });
  }
  const ids = subs.map((s) => s.id);

  // Phase 1: steady. Phase 2: kill the leader every KILL_EVERY_S, restart it, give it the lab period.
  const steadyFrom = new Date(Date.now() + 5000);
  await sleep(5000 + PHASE_S * 1000);
  const killsFrom = new Date();
  let kills = 0;
  while (Date.now() < killsFrom.getTime() + PHASE_S * 1000) {
    const victim = await leader();
    await lab('chaos', 'kill', victim);
    kills += 1;
    await lab('chaos', 'start', victim);
    for (;;) {
      const set = await admin(victim, 'PUT', '/admin/billing', { periodSeconds: PERIOD_S }).catch(() => '');
      if (set.includes('periodSeconds')) break;
      await sleep(300);
    }
    await sleep(Math.max(0, KILL_EVERY_S * 1000 - 3000));
  }
  const killsTo = new Date();
  await sleep(10_000); // the last periods of the phase get charged

  const steady = await delays(ids, steadyFrom, killsFrom);
  const killed = await delays(ids, killsFrom, killsTo);
  const at = (xs: number[], p: number) => percentile(xs, p).toFixed(2);
  const phase = (name: string, d: { row: number[]; settled: number[] }) =>
    [name, d.row.length, at(d.row, 50), at(d.row, 99), at(d.settled, 50), at(d.settled, 99)] as const;
  const ratio = (p: number, which: 'row' | 'settled') =>
    (percentile(killed[which], p) / percentile(steady[which], p)).toFixed(1);
  console.log(
    `\n${SUBSCRIPTIONS} subscriptions, ${PERIOD_S} s periods, phases of ${PHASE_S} s, ${kills} leader kills in the second\n`,
  );
  console.log(
    table(
      ['phase', 'periods', 'due -> row p50 s', 'due -> row p99 s', 'due -> settled p50 s', 'due -> settled p99 s'],
      [
        phase('steady (baseline)', steady),
        phase('leader killed', killed),
        ['ratio killed / steady', '-', ratio(50, 'row'), ratio(99, 'row'), ratio(50, 'settled'), ratio(99, 'settled')],
      ],
    ),
  );
});
