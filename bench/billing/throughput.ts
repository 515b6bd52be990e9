// Charges per second with one leader over both shards, against the same provider's calls alone.
// Two Postgres shards (sdl/postgres:15 containers, the api's migrations), the payments service as
// a child process (ledger fsync'd to a temp file, as in compose), the charging work in this
// process (one leader, a fixed token: no election on the measured path). See README.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../../libs/logging/dist/index.js';
import { createMetrics } from '../../libs/metrics/dist/index.js';
import { startPostgres } from '../../libs/testing/dist/index.js';
import { loadMigrations, migrate } from '../../services/api/dist/db/migrator.js';
import { createBillingMetrics } from '../../services/billing-leader/dist/billing/billing-metrics.js';
import { createBillingSettings } from '../../services/billing-leader/dist/billing/billing-settings.js';
import { createChargeWork } from '../../services/billing-leader/dist/billing/charge-work.js';
import { createProviderClient } from '../../services/billing-leader/dist/billing/provider-client.js';
import { ShardPrimaries } from '../../services/billing-leader/dist/shards/shard-primaries.js';
import { ready, start } from '../lb/proc.ts';
import { closedLoop, median, onCleanup, psql, runBench, table } from '../api/stack.ts';

const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PAYMENTS_PORT = 18502;
const payments = `http://127.0.0.1:${PAYMENTS_PORT}`;

/** SUBSCRIPTIONS active subscriptions, half per shard, each with exactly one period due (hour-long periods). */
async function seedDue(urls: readonly string[], round: string): Promise<void> {
  await Promise.all(
    urls.map((url, shard) =>
      psql(
        url,
        `TRUNCATE accounts, subscriptions, charges, outbox CASCADE;
         INSERT INTO accounts (id, email, name, partition)
           SELECT 'acc_b${round}_${shard}_' || i, i || '@bench', 'bench', i % 64 FROM generate_series(1, ${SUBSCRIPTIONS / 2}) i;
         INSERT INTO subscriptions (id, account_id, partition, plan, status, amount_cents, currency, period_months, next_billing_at)
           SELECT 'sub_b${round}_${shard}_' || i, 'acc_b${round}_${shard}_' || i, i % 64, 'basic', 'active', 500, 'EUR', 1,
                  now() - interval '1 second'
             FROM generate_series(1, ${SUBSCRIPTIONS / 2}) i;`,
      ),
    ),
  );
}

async function charged(urls: readonly string[]): Promise<number> {
  const counts = await Promise.all(
    urls.map((url) => psql(url, "SELECT count(*) FROM charges WHERE status = 'succeeded'")),
  );
  return counts.reduce((sum, n) => sum + Number(n), 0);
}

await runBench('bench/billing/throughput', 900, async () => {
  const shards = await Promise.all([startPostgres(), startPostgres()]);
  onCleanup(async () => void (await Promise.all(shards.map((s) => s.stop()))));
  const urls = shards.map((s) => s.url);
  const logger = createLogger({ name: 'bench', level: 'warn' });
  const migrations = await loadMigrations();
  const primaries = new ShardPrimaries({
    urls,
    logger,
    poolMax: CONCURRENCY,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 10_000,
  });
  onCleanup(() => primaries.close());
  await Promise.all(urls.map((_, i) => migrate(primaries.pool(i), migrations, logger)));

  const ledgerDir = mkdtempSync(join(tmpdir(), 'bench-billing-'));
  onCleanup(async () => rmSync(ledgerDir, { recursive: true, force: true }));
  const provider = start(process.execPath, ['services/payments/dist/main.js'], {
    PORT: String(PAYMENTS_PORT),
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LEDGER_PATH: join(ledgerDir, 'ledger.jsonl'),
  });
  onCleanup(async () => void provider.kill('SIGTERM'));
  await ready(`${payments}/readyz`);

  let token = 1n;
  const billingRun = async (round: number, fencing: 'on' | 'off'): Promise<number> => {
    await seedDue(urls, `${round}${fencing}`);
    const metrics = createBillingMetrics(createMetrics({ service: 'bench', defaults: false }).registry);
    const work = createChargeWork({
      shards: primaries,
      provider: createProviderClient({ url: payments, timeoutMs: 10_000, metrics }),
      settings: createBillingSettings({ periodSeconds: 3600, fencing, pendingRetryAfterMs: 0, writeStallMs: 0 }),
      metrics,
      logger,
      batch: 100,
      concurrency: CONCURRENCY,
      providerAttempts: 3,
    });
    token += 1n;
    const started = performance.now();
    while ((await charged(urls)) < SUBSCRIPTIONS) await work.runOnce(token, new AbortController().signal);
    return SUBSCRIPTIONS / ((performance.now() - started) / 1000);
  };
  const providerRun = async (round: number): Promise<number> => {
    const started = performance.now();
    await closedLoop(SUBSCRIPTIONS, CONCURRENCY, async (i) => {
      const key = `bench:${round}:${i}`;
      const res = await fetch(`${payments}/v1/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ amount: 500, currency: 'EUR', reference: key }),
      });
      if (res.status !== 201) throw new Error(`provider answered ${res.status}`);
      await res.arrayBuffer();
    });
    return SUBSCRIPTIONS / ((performance.now() - started) / 1000);
  };

  const results = { provider: [] as number[], on: [] as number[], off: [] as number[] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    const order = round % 2 === 1 ? (['provider', 'on', 'off'] as const) : (['off', 'on', 'provider'] as const);
    for (const what of order) {
      const rate = what === 'provider' ? await providerRun(round) : await billingRun(round, what);
      results[what].push(rate);
      console.log(`round ${round} ${what}: ${rate.toFixed(0)}/s`);
    }
  }
  const p = median(results.provider);
  const on = median(results.on);
  const off = median(results.off);
  console.log(
    `\n${SUBSCRIPTIONS} due subscriptions over 2 shards, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (medians)\n`,
  );
  console.log(
    table(
      ['run', 'per second', 'ratio'],
      [
        ['provider calls alone (baseline)', p.toFixed(0), '1.00'],
        ['billing, fencing on', on.toFixed(0), (on / p).toFixed(2)],
        ['billing, fencing off', off.toFixed(0), (off / p).toFixed(2)],
        ['fencing on / off', '-', (on / off).toFixed(2)],
      ],
    ),
  );
});
