// Check latency and throughput per algorithm, with Redis GET as the same-run baseline.
// 1. redis-benchmark (Debian redis-tools) runs GET and each algorithm's EVALSHA with the same
//    client, connections and -P 1, so the ratio is Redis-side cost only.
// 2. A Node loop through the shipped TypeScript path (loadRedisScript + ioredis) measures p50/p99 of
//    one check at a time, against ioredis GET.
// Usage: node bench/ratelimiter/check-latency.ts   (env N=50000 CLIENTS=50 KEYS=10000 NODE_N=5000)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ALGORITHMS, percentile, startBench } from './shared.ts';

const N = Number(process.env.N ?? 50_000);
const CLIENTS = Number(process.env.CLIENTS ?? 50);
const KEYS = Number(process.env.KEYS ?? 10_000);
const NODE_N = Number(process.env.NODE_N ?? 5000);
// Interleaved rounds, median kept: the machine is shared, so one run of each is too noisy.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
// A client limit that most checks stay under (admitting is the expensive path for the sliding log).
const LIMIT = 100;
const WINDOW = 60_000;

const scriptArgs: Record<string, string[]> = {
  'token-bucket': ['1', String(LIMIT), String(WINDOW), String(LIMIT)],
  gcra: ['1', String(LIMIT), String(WINDOW), String(LIMIT)],
  'fixed-window': ['1', String(LIMIT), String(WINDOW)],
  'sliding-log': ['1', String(LIMIT), String(WINDOW)],
  'sliding-counter': ['1', String(LIMIT), String(WINDOW)],
};

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  /** Redis's own CPU per call (INFO commandstats), free of client and machine noise. */
  usec?: number;
}

const bench = await startBench();

async function serverUsecPerCall(command: string): Promise<number> {
  const info = await bench.redis.info('commandstats');
  const m = new RegExp(`cmdstat_${command.toLowerCase()}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`).exec(info);
  return Number(m?.[1] ?? NaN);
}

function redisBenchmark(host: string, port: number, name: string, command: string[]): Row {
  const out = execFileSync(
    'redis-benchmark',
    [
      '-h',
      host,
      '-p',
      String(port),
      '-n',
      String(N),
      '-c',
      String(CLIENTS),
      '-P',
      '1',
      '-r',
      String(KEYS),
      '--csv',
      ...command,
    ],
    { encoding: 'utf8' },
  );
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const cells = out
    .trim()
    .split('\n')
    .at(-1)!
    .split(',')
    .map((c) => c.replaceAll('"', ''));
  return { name, rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]) };
}

/** The round with the median throughput. */
function median(rows: readonly Row[]): Row {
  return [...rows].sort((x, y) => x.rps - y.rps)[Math.floor(rows.length / 2)]!;
}
try {
  console.log(
    `Redis ${bench.url}; redis-benchmark -n ${N} -c ${CLIENTS} -P 1 -r ${KEYS}; limit ${LIMIT}/${WINDOW} ms per key`,
  );
  await bench.redis.set('key:__rand_int__', 'x');
  for (let i = 0; i < KEYS; i += 1000) {
    const pipe = bench.redis.pipeline();
    for (let k = i; k < Math.min(KEYS, i + 1000); k += 1) pipe.set(`key:${String(k).padStart(12, '0')}`, 'x');
    await pipe.exec();
  }
  const commands: [string, string[]][] = [['GET (baseline)', ['GET', 'key:__rand_int__']]];
  for (const a of ALGORITHMS) {
    const lua = readFileSync(new URL(`../../services/ratelimiter/src/scripts/${a}.lua`, import.meta.url), 'utf8');
    const sha = createHash('sha1').update(lua).digest('hex');
    await bench.redis.script('LOAD', lua);
    commands.push([`${a} EVALSHA`, ['EVALSHA', sha, '1', `rl:bench:{__rand_int__}:${a}`, ...scriptArgs[a]!]]);
  }
  const runs = commands.map((): Row[] => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, [name, command]] of commands.entries()) {
      await bench.redis.config('RESETSTAT');
      const row = redisBenchmark(bench.host, bench.port, name, command);
      runs[i]!.push({ ...row, usec: await serverUsecPerCall(command[0]!) });
    }
  }
  const rows = runs.map(median);
  const base = rows[0]!;
  console.log(`\nredis-benchmark (Redis-side cost, same client; median of ${ROUNDS} interleaved rounds):`);
  console.log('command                    rps      x GET   p50 ms  p99 ms  server us/call  x GET (GET us / us)');
  for (const r of rows) {
    const cpu = `${r.usec!.toFixed(2).padStart(14)}  ${(base.usec! / r.usec!).toFixed(2).padStart(6)}`;
    console.log(
      `${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(8)}  ${(r.rps / base.rps).toFixed(2).padStart(6)}  ${r.p50.toFixed(3).padStart(7)} ${r.p99.toFixed(3).padStart(7)}  ${cpu}`,
    );
  }

  // One request at a time through ioredis: latency as the ratelimiter sees it.
  const measure = async (name: string, once: (i: number) => Promise<unknown>): Promise<Row> => {
    for (let i = 0; i < 200; i += 1) await once(i);
    const lat: number[] = [];
    const start = performance.now();
    for (let i = 0; i < NODE_N; i += 1) {
      const t = performance.now();
      await once(i);
      lat.push(performance.now() - t);
    }
    const secs = (performance.now() - start) / 1000;
    lat.sort((x, y) => x - y);
    return { name, rps: NODE_N / secs, p50: percentile(lat, 50), p99: percentile(lat, 99) };
  };
  const params = { limit: LIMIT, windowMs: WINDOW, burst: LIMIT, cost: 1 };
  const calls: [string, (i: number) => Promise<unknown>][] = [
    ['GET (ioredis)', (i) => bench.redis.get(`key:${String(i % KEYS).padStart(12, '0')}`)],
    ...ALGORITHMS.map((a): [string, (i: number) => Promise<unknown>] => [
      `${a} check()`,
      (i) => bench.algorithms[a].check(`node-bench:${i % KEYS}`, params),
    ]),
  ];
  const nodeRuns = calls.map((): Row[] => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, [name, once]] of calls.entries()) nodeRuns[i]!.push(await measure(name, once));
  }
  const nodeRows = nodeRuns.map(median);
  const nodeBase = nodeRows[0]!;
  console.log(`\nNode, one at a time (${NODE_N} calls each, through loadRedisScript + ioredis):`);
  console.log('call                       rps      x GET   p50 ms  p99 ms');
  for (const r of nodeRows) {
    console.log(
      `${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(8)}  ${(r.rps / nodeBase.rps).toFixed(2).padStart(6)}  ${r.p50.toFixed(3).padStart(7)} ${r.p99.toFixed(3).padStart(7)}`,
    );
  }
} finally {
  await bench.close();
}
