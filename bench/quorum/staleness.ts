// Quorum N / W / R (issue 14): for each (W, R) with N = 3, the latency (p50/p99) of writes and
// reads and the fraction of stale reads while one replica lags or is cut off. The store measured is
// the api's own (services/api/dist/quorum), over three Redis (sdl/redis containers, reached on
// their bridge addresses: no docker-proxy on the path).
// Two "nodes", as two api nodes would be: a writer and a reader, each with its own connections.
// Replica 3 sits behind a proxy on the WRITER's path only:
//   lag: every write reaches replica 3 LAG_MS late (bench/lb/latency-proxy.ts), as a lagging replica;
//   cut: writes never reach replica 3 (@sdl/testing's TCP proxy, frozen); the reader still reads it.
// Each of CONCURRENCY loops writes a random key of KEYS at w=W, and as soon as the write is
// acknowledged reads it back from the reader at r=R: the read is stale when it returns an older
// version than the acknowledged one (or none). Reads repair replica 3 as they go (counted).
// Build first (`npx tsc -b`). Usage: node bench/quorum/staleness.ts
//   (env SECONDS=3 per (W, R) and scenario, LAG_MS=20, KEYS=100, CONCURRENCY=4, TIMEOUT_MS=200)
import { createServer } from 'node:net';
import { createLogger } from '../../libs/logging/dist/index.js';
import { createMetrics } from '../../libs/metrics/dist/index.js';
import { closeRedis, createRedisClient, type Redis } from '../../libs/redis/dist/index.js';
import { startRedis, startTcpProxy } from '../../libs/testing/dist/index.js';
import { compareVersions, HybridLogicalClock } from '../../services/api/dist/quorum/hybrid-logical-clock.js';
import { createQuorumMetrics, type QuorumMetrics } from '../../services/api/dist/quorum/quorum-metrics.js';
import { createQuorumStore, type QuorumStore } from '../../services/api/dist/quorum/quorum-store.js';
import { startLatencyProxy } from '../lb/latency-proxy.ts';
import { onCleanup, percentile, runBench, table } from '../api/stack.ts';

const SECONDS = Number(process.env.SECONDS ?? 3);
const LAG_MS = Number(process.env.LAG_MS ?? 20);
const KEYS = Number(process.env.KEYS ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? 200);
const N = 3;
const logger = createLogger({ name: 'quorum-bench', level: 'silent' });

interface Node {
  readonly store: QuorumStore;
  readonly metrics: QuorumMetrics;
  readonly registry: ReturnType<typeof createMetrics>['registry'];
  readonly clients: readonly Redis[];
}

function node(id: string, urls: readonly string[]): Node {
  const clients = urls.map((url, i) => createRedisClient({ url, timeoutMs: TIMEOUT_MS, logger, name: `${id}-${i}` }));
  const { registry } = createMetrics({ service: 'quorum-bench', node: id, defaults: false });
  const metrics = createQuorumMetrics(registry);
  const store = createQuorumStore({ replicas: clients, clock: new HybridLogicalClock(id), metrics, logger });
  onCleanup(async () => {
    await store.drain();
    await Promise.all(clients.map((c) => closeRedis(c)));
  });
  return { store, metrics, registry, clients };
}

/** Pings every replica until all answer (the clients connect in the background, without an offline queue). */
async function untilConnected(n: Node): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const pings = await Promise.allSettled(n.clients.map((c) => c.ping()));
    if (pings.every((p) => p.status === 'fulfilled')) return;
    if (attempt === 100) throw new Error('replicas unreachable');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function counter(registry: Node['registry'], name: string, labels: Record<string, string> = {}) {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((s, v) => s + v.value, 0);
}

interface Row {
  readonly scenario: string;
  readonly w: number;
  readonly r: number;
  readonly writes: number[];
  readonly reads: number[];
  failedWrites: number;
  failedReads: number;
  stale: number;
  repairs: number;
}

async function measure(scenario: string, writer: Node, reader: Node, w: number, r: number): Promise<Row> {
  const row: Row = { scenario, w, r, writes: [], reads: [], failedWrites: 0, failedReads: 0, stale: 0, repairs: 0 };
  const repairsBefore = await counter(reader.registry, 'api_quorum_read_repairs_total', { result: 'ok' });
  const until = performance.now() + SECONDS * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < until) {
      const key = `kv:bench:${scenario}:${Math.floor(Math.random() * KEYS)}`;
      let t = performance.now();
      let acked: string;
      try {
        acked = (await writer.store.put(key, `v${t}`, w)).version;
        row.writes.push(performance.now() - t);
      } catch {
        row.failedWrites++;
        continue;
      }
      t = performance.now();
      try {
        const { version } = await reader.store.get(key, r);
        row.reads.push(performance.now() - t);
        if (version === undefined || compareVersions(version, acked) < 0) row.stale++;
      } catch {
        row.failedReads++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  await Promise.all([writer.store.drain(), reader.store.drain()]);
  row.repairs = (await counter(reader.registry, 'api_quorum_read_repairs_total', { result: 'ok' })) - repairsBefore;
  return row;
}

const ms = (xs: number[], p: number) =>
  xs.length === 0
    ? '-'
    : percentile(
        [...xs].sort((a, b) => a - b),
        p,
      ).toFixed(2);

await runBench('quorum staleness', 180, async () => {
  const replicas = await Promise.all(Array.from({ length: N }, () => startRedis()));
  onCleanup(async () => void (await Promise.all(replicas.map((r) => r.stop()))));
  const direct = replicas.map((r) => `redis://${r.container.getIpAddress('bridge')}:6379`);
  const port = (url: string) => Number(new URL(url).port);
  const host = (url: string) => new URL(url).hostname;

  const lagPort = await freePort();
  const lag = await startLatencyProxy(lagPort, port(direct[2]!), LAG_MS, host(direct[2]!));
  onCleanup(() => new Promise((resolve) => lag.close(() => resolve())));
  const cut = await startTcpProxy({ host: host(direct[2]!), port: port(direct[2]!) });
  onCleanup(() => cut.close());
  const reader = node('reader', direct);
  const writers = {
    lag: node('writer-lag', [direct[0]!, direct[1]!, `redis://127.0.0.1:${lagPort}`]),
    cut: node('writer-cut', [direct[0]!, direct[1]!, `redis://127.0.0.1:${cut.port}`]),
  };
  await Promise.all([reader, writers.lag, writers.cut].map(untilConnected));
  cut.freeze();

  const rows: Row[] = [];
  for (const scenario of ['lag', 'cut'] as const) {
    for (let w = 1; w <= N; w++)
      for (let r = 1; r <= N; r++) rows.push(await measure(scenario, writers[scenario], reader, w, r));
  }
  cut.thaw();
  console.log(
    `\nN = ${N}; ${SECONDS} s per row, ${CONCURRENCY} loops of write (writer) then read (reader), ${KEYS} keys; ` +
      `lag: writes reach replica 3 ${LAG_MS} ms late; cut: writes never reach replica 3. Latency in ms.\n`,
  );
  console.log(
    table(
      [
        'scenario',
        'W',
        'R',
        'W+R>N',
        'writes ok',
        'write p50',
        'write p99',
        'writes 503',
        'reads ok',
        'read p50',
        'read p99',
        'reads 503',
        'stale reads',
        'repairs',
      ],
      rows.map((x) => [
        x.scenario,
        x.w,
        x.r,
        x.w + x.r > N ? 'yes' : 'no',
        x.writes.length,
        ms(x.writes, 50),
        ms(x.writes, 99),
        x.failedWrites,
        x.reads.length,
        ms(x.reads, 50),
        ms(x.reads, 99),
        x.failedReads,
        x.reads.length === 0 ? '-' : `${((100 * x.stale) / x.reads.length).toFixed(1)} % (${x.stale})`,
        x.repairs,
      ]),
    ),
  );
});
