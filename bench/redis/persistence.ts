// Redis persistence (issue 14): what each REDIS_PERSISTENCE mode costs in SET throughput and what a
// crash loses. For each mode, a fresh sdl/redis:7 container started by compose's own
// infra/redis/persistence.sh (@sdl/testing startRedis):
// - loss: RATE SETs per second (open loop, each key new) for DURATION seconds, then `docker kill`
//   (SIGKILL: no shutdown save) while the writes go on, a start on the same /data, and a count of
//   the acknowledged keys that are gone; "window" = how long before the kill the oldest lost key
//   was acknowledged (rdb: back to the last snapshot).
// - throughput: redis-benchmark (Debian redis-tools, run inside the container: no docker-proxy on
//   the path) SET with 50 clients, unpipelined and 16-deep pipelined, on the restarted servers, the modes interleaved ROUNDS times.
// A SIGKILL leaves the kernel's page cache, so whatever Redis write()s survives it: aof-everysec's
// second of risk is a machine crash's (power, kernel), which this cannot simulate.
// Build first (`npx tsc -b`). Usage: node bench/redis/persistence.ts (env RATE=2000 DURATION=6 N=30000 ROUNDS=3)
import { closeRedis, createRedisClient, type Redis } from '../../libs/redis/dist/index.js';
import { createLogger } from '../../libs/logging/dist/index.js';
import { startRedis, type RedisPersistence, type StartedRedis } from '../../libs/testing/dist/index.js';
import { runBench, table } from '../api/stack.ts';

const RATE = Number(process.env.RATE ?? 2000);
const DURATION = Number(process.env.DURATION ?? 6);
const N = Number(process.env.N ?? 30_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MODES: RedisPersistence[] = ['none', 'rdb', 'aof-everysec', 'aof-always'];
const logger = createLogger({ name: 'bench-redis', level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(server: StartedRedis): Promise<Redis> {
  const redis = createRedisClient({ url: server.url, timeoutMs: 5000, logger, name: 'bench', lazyConnect: true });
  await redis.connect();
  return redis;
}

interface Loss {
  readonly acked: number;
  readonly lost: number;
  readonly windowMs: number;
}

/** Paced SETs, then a SIGKILL mid-stream and a restart; counts acknowledged keys that are gone. */
async function crashLoss(server: StartedRedis): Promise<Loss> {
  const redis = await connect(server);
  const ackedAt = new Map<number, number>();
  let next = 0;
  let writing = true;
  const started = performance.now();
  const writer = (async () => {
    // Every 10 ms, the keys due by now: an open loop (a slow reply does not slow the arrivals).
    while (writing) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE);
      for (; next < due; next++) {
        const i = next;
        redis.set(`k:${i}`, 'v').then(
          () => writing && ackedAt.set(i, performance.now()),
          () => undefined,
        );
      }
      await sleep(10);
    }
  })();
  await sleep(DURATION * 1000);
  const killedAt = performance.now();
  const crash = server.crashRestart();
  // Replies that arrive after the kill was sent are not counted as acknowledged.
  writing = false;
  await Promise.all([crash, writer]);
  redis.disconnect();
  const after = await connect(server);
  const keys = [...ackedAt.keys()];
  let lost = 0;
  let oldestLost = killedAt;
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const values = await after.mget(chunk.map((k) => `k:${k}`));
    values.forEach((v, j) => {
      if (v !== null) return;
      lost++;
      oldestLost = Math.min(oldestLost, ackedAt.get(chunk[j]!)!);
    });
  }
  await closeRedis(after);
  return { acked: keys.length, lost, windowMs: Math.round(killedAt - oldestLost) };
}

/** SET requests per second from redis-benchmark inside the container. */
async function setRps(server: StartedRedis, pipeline: number): Promise<number> {
  const n = String(N * pipeline);
  const args = ['redis-benchmark', '-t', 'set', '-n', n, '-c', '50', '-P', String(pipeline), '-r', '1000000', '--csv'];
  const { output, exitCode } = await server.container.exec(args);
  if (exitCode !== 0) throw new Error(`redis-benchmark failed: ${output}`);
  const row = output.split('\n').find((l) => l.startsWith('"SET"'));
  return Math.round(Number(JSON.parse(`[${row}]`)[1]));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await runBench('redis-persistence', 180, async () => {
  const servers: StartedRedis[] = [];
  try {
    const losses: Loss[] = [];
    for (const mode of MODES) {
      servers.push(await startRedis({ persistence: mode }));
      losses.push(await crashLoss(servers.at(-1)!));
      console.log(`${mode}: crash done`);
    }
    // Throughput on the restarted servers, the modes interleaved ROUNDS times (a busy machine's
    // noise hits every mode alike); the median of the rounds.
    const rps = MODES.map(() => ({ p1: [] as number[], p16: [] as number[] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, server] of servers.entries()) {
        rps[i]!.p1.push(await setRps(server, 1));
        rps[i]!.p16.push(await setRps(server, 16));
      }
    }
    const base = median(rps[0]!.p1);
    const rows = MODES.map((mode, i) => {
      const loss = losses[i]!;
      const p1 = median(rps[i]!.p1);
      return [
        mode,
        p1,
        (p1 / base).toFixed(2),
        rps[i]!.p1.join(' / '),
        median(rps[i]!.p16),
        loss.acked,
        loss.lost,
        `${((100 * loss.lost) / loss.acked).toFixed(1)} %`,
        loss.lost ? loss.windowMs : '-',
      ];
    });
    console.log(
      `\nSET throughput (redis-benchmark, 50 clients, median of ${ROUNDS}) and loss after docker kill at ${RATE} SET/s for ${DURATION} s\n`,
    );
    const header = ['mode', 'SET/s', 'vs none', 'rounds', 'SET/s pipelined x16', 'acked before kill', 'lost'];
    console.log(table([...header, 'lost %', 'lost window, ms'], rows));
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  }
});
