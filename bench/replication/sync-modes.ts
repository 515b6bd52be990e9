// Synchronous replication (issue 14): what each PG_SYNC_REPLICATION mode costs a write. One primary
// and its streaming hot standby (the project's entrypoint, through the api tests' helper
// services/api/test/support/pg-replication.ts), both containers on one docker bridge: the standby's
// round trip is a local one, the cheapest a real deployment could have. The mode is switched at run
// time by infra/postgres/sync-replication.sh (what `./lab shard sync-mode` runs), and the modes are
// interleaved ROUNDS times so that a change of machine load hits all of them alike. Per mode and
// round, WRITES single-row INSERTs (autocommit: one commit each) are sent open loop at RATE per
// second over a pool of POOL connections; a write's latency runs from its send to its acknowledgement.
// Ratios are against `off` measured in the same run.
// Build first (`npx tsc -b`). Usage: node bench/replication/sync-modes.ts (env RATE=100 WRITES=100 ROUNDS=5 POOL=16)
import { createRequire } from 'node:module';
import { startReplicatedPostgres } from '../../services/api/test/support/pg-replication.ts';
import { onCleanup, percentile, runBench, table } from '../api/stack.ts';

// pg is a dependency of @sdl/db, not of the repo root: load it from there (as bench/kafka/delivery.ts).
const pg = createRequire(new URL('../../libs/db/package.json', import.meta.url))('pg') as {
  Pool: new (config: { connectionString: string; max: number }) => {
    query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
    on(event: 'error', listener: () => void): void;
    end(): Promise<void>;
  };
};

const RATE = Number(process.env.RATE ?? 100);
const WRITES = Number(process.env.WRITES ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const POOL = Number(process.env.POOL ?? 16);
const MODES = ['off', 'remote_write', 'on', 'remote_apply'] as const;
type Mode = (typeof MODES)[number];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await runBench('sync-modes', 120 + (ROUNDS * MODES.length * WRITES) / RATE + 60, async () => {
  const pair = await startReplicatedPostgres();
  onCleanup(() => pair.stop());
  const pool = new pg.Pool({ connectionString: pair.primaryUrl, max: POOL });
  pool.on('error', () => undefined);
  const admin = new pg.Pool({ connectionString: pair.primaryAdminUrl, max: 1 });
  admin.on('error', () => undefined);
  onCleanup(() => admin.end());
  onCleanup(() => pool.end());
  await pool.query('CREATE TABLE bench_writes (id bigserial PRIMARY KEY, payload text NOT NULL)');

  const setMode = async (mode: Mode): Promise<string> => {
    const r = await pair.primary.exec(['bash', '/infra/postgres/sync-replication.sh', mode]);
    if (r.exitCode !== 0) throw new Error(`sync-replication.sh ${mode}: ${r.output}`);
    // The standby's role as the primary sees it: wait (bounded) until the walsender took the new settings.
    const want = mode === 'off' ? 'async' : 'sync';
    let state = '';
    for (let i = 0; i < 50 && state !== want; i += 1) {
      if (i > 0) await sleep(100);
      const { rows } = await admin.query("SELECT string_agg(sync_state, ',') AS s FROM pg_stat_replication");
      state = String(rows[0]?.s);
    }
    return `${r.output.trim()}; standby ${state}`;
  };

  /** WRITES inserts at RATE per second, open loop; every latency in ms. */
  const writes = async (): Promise<number[]> => {
    const latencies: number[] = [];
    const started = performance.now();
    const all: Promise<void>[] = [];
    for (let i = 0; i < WRITES; i += 1) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sent = performance.now();
      all.push(
        pool
          .query('INSERT INTO bench_writes (payload) VALUES ($1)', [`write ${i}`])
          .then(() => void latencies.push(performance.now() - sent)),
      );
    }
    await Promise.all(all);
    return latencies;
  };

  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
  };
  await setMode('off');
  await writes(); // warm-up: connections, plans, the replica's first catch-up
  const byMode = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const roundP50s = new Map<Mode, string[]>(MODES.map((m) => [m, []]));
  const shown = new Map<Mode, string>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const mode of MODES) {
      shown.set(mode, await setMode(mode));
      const latencies = await writes();
      byMode.get(mode)!.push(...latencies);
      roundP50s.get(mode)!.push(stats(latencies).p50.toFixed(1));
    }
  }

  const off = stats(byMode.get('off')!);
  console.log(
    `\nwrite latency per PG_SYNC_REPLICATION mode: ${ROUNDS} rounds x ${WRITES} single-row INSERTs per mode at ${RATE}/s, open loop, pool of ${POOL}\n`,
  );
  console.log(
    table(
      ['mode', 'writes', 'p50 ms', 'p99 ms', 'max ms', 'p50 / off', 'p99 / off', 'p50 per round', 'server shows'],
      MODES.map((mode) => {
        const s = stats(byMode.get(mode)!);
        return [
          mode,
          byMode.get(mode)!.length,
          s.p50.toFixed(2),
          s.p99.toFixed(2),
          s.max.toFixed(1),
          (s.p50 / off.p50).toFixed(2),
          (s.p99 / off.p99).toFixed(2),
          roundP50s.get(mode)!.join(' / '),
          shown.get(mode) ?? '',
        ];
      }),
    ),
  );
});
