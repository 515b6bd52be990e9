// Benchmark (issue 14): Kafka delivery semantics and producer acks, against librdkafka 2.0.2's mock
// cluster (kcat-hosted, IN MEMORY: acks do not mean durability there, every "replica" lives in
// one process) and a real Postgres (the sdl/postgres:15 container of @sdl/testing).
// 1. Per consumer mode, ROUNDS crash rounds (runCrashRound of @sdl/events): EVENTS events on 4
//    partitions, a member applying them dies between the two steps of its CRASH_AT-th message
//    (different per round), a second member of the group resumes; lost and duplicated effects.
// 2. Producer throughput per acks (0, 1, all): one-message sends in sequence and 100-message
//    batches, SECONDS each; and whether the mock accepts the idempotent producer.
// Build first (`npx tsc -b`). Usage: node bench/kafka/delivery.ts
//   (env ROUNDS=3 EVENTS=100 SECONDS=5 MAX_SECONDS=180)
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { withTransaction, type TransactionTarget } from '../../libs/db/dist/index.js';
import {
  createCrashRoundTables,
  createEventProducer,
  ensureTopics,
  runCrashRound,
  type Acks,
  type CrashRoundResult,
  type Delivery,
  type SqlQueryable,
} from '../../libs/events/dist/index.js';
import { createLogger } from '../../libs/logging/dist/index.js';
import { startMockKafka, startPostgres } from '../../libs/testing/dist/index.js';

// pg is a dependency of @sdl/db, not of the repo root: load it from there.
const pg = createRequire(new URL('../../libs/db/package.json', import.meta.url))('pg') as {
  Pool: new (config: {
    connectionString: string;
    max: number;
  }) => TransactionTarget & SqlQueryable & { end(): Promise<void> };
};
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const EVENTS = Number(process.env.EVENTS ?? 100);
const SECONDS = Number(process.env.SECONDS ?? 5);
const MAX_SECONDS = Number(process.env.MAX_SECONDS ?? 180);
const MODES: readonly Delivery[] = ['at-most-once', 'at-least-once', 'effectively-once'];
const logger = createLogger({ name: 'bench-delivery', level: 'silent' });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

console.log(`kafka/delivery: ${new Date().toISOString()}, ${cpus().length} cores, load average ${load()}`);
const [kafka, postgres] = await Promise.all([startMockKafka(), startPostgres()]);
const pool = new pg.Pool({ connectionString: postgres.url, max: 6 });
const connection = (clientId: string) => ({ brokers: [kafka.brokers], clientId, logger });
const cleanup = async () => {
  await pool.end().catch(() => undefined);
  await Promise.all([kafka.stop(), postgres.stop()]);
};
// Bounded: past MAX_SECONDS the containers and kcat are stopped and the run ends.
const limit = setTimeout(() => {
  console.error(`kafka/delivery: over MAX_SECONDS=${MAX_SECONDS}; stopping`);
  void cleanup().finally(() => process.kill(process.pid, 'SIGTERM'));
}, MAX_SECONDS * 1000);
limit.unref();
try {
  await createCrashRoundTables(pool);
  const results = new Map<Delivery, CrashRoundResult[]>(MODES.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // A different crash point each round, inside the first half of the events.
    const crashAt = 1 + Math.floor(((round + 1) * EVENTS) / (2 * (ROUNDS + 1)));
    const done = await Promise.all(
      MODES.map((mode) => {
        const name = `${mode.replaceAll('-', '_')}_${round}`;
        return runCrashRound({
          connection: connection(`bench-${name}`),
          topic: `bench.delivery.${name}`,
          group: `bench-${name}`,
          delivery: mode,
          events: EVENTS,
          crashAt,
          db: pool,
          transaction: (fn) => withTransaction(pool, fn),
        });
      }),
    );
    for (const r of done) results.get(r.delivery)!.push(r);
    console.log(`round ${round + 1}/${ROUNDS}: crash at message ${crashAt} (load ${load()})`);
  }
  console.log(`\n### Crash rounds: ${ROUNDS} per mode, ${EVENTS} events each (4 partitions)\n`);
  console.log('| mode | commit order | lost (per round) | duplicated (per round) | lost total | duplicated total |');
  console.log('|---|---|---|---|---|---|');
  const order: Record<Delivery, string> = {
    'at-most-once': 'commit, then effect',
    'at-least-once': 'effect, then commit',
    'effectively-once': 'effect + event id in one Postgres tx, then commit',
  };
  for (const [mode, rs] of results) {
    const sum = (k: 'lost' | 'duplicated') => rs.reduce((a, r) => a + r[k], 0);
    const per = (k: 'lost' | 'duplicated') => rs.map((r) => r[k]).join(', ');
    console.log(
      `| ${mode} | ${order[mode]} | ${per('lost')} | ${per('duplicated')} | ${sum('lost')} | ${sum('duplicated')} |`,
    );
  }

  await ensureTopics(connection('bench-acks'), [{ name: 'bench.acks', partitions: 4 }]);
  console.log(`\n### Producer throughput per acks (mock cluster, in memory), ${SECONDS} s each\n`);
  console.log('| acks | 1-message sends/s | p50 send ms | messages/s in 100-message batches |');
  console.log('|---|---|---|---|');
  for (const acks of [0, 1, 'all'] as Acks[]) {
    const producer = await createEventProducer({ ...connection(`bench-acks-${acks}`), acks });
    try {
      const value = 'x'.repeat(200);
      const times: number[] = [];
      let until = performance.now() + SECONDS * 1000;
      while (performance.now() < until) {
        const t = performance.now();
        await producer.send('bench.acks', [{ key: `k${times.length}`, value }]);
        times.push(performance.now() - t);
      }
      const batch = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value }));
      let batched = 0;
      until = performance.now() + SECONDS * 1000;
      while (performance.now() < until) {
        await producer.send('bench.acks', batch);
        batched += batch.length;
      }
      times.sort((a, b) => a - b);
      const p50 = times[Math.floor(times.length / 2)] ?? 0;
      console.log(
        `| ${acks} | ${Math.round(times.length / SECONDS)} | ${p50.toFixed(2)} | ${Math.round(batched / SECONDS)} |`,
      );
    } finally {
      await producer.close();
    }
  }
  const idem = await createEventProducer({ ...connection('bench-idempotent'), idempotent: true });
  console.log(
    `\nidempotent producer: ${idem.idempotent ? 'accepted' : 'refused by the mock (no InitProducerId); sent without it'}`,
  );
  await idem.close();
  console.log(`\nload average after: ${load()}`);
} finally {
  clearTimeout(limit);
  await cleanup();
}
