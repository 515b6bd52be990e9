// What every api benchmark needs: containers, api node processes, /metrics, psql, a bounded run
// that frees everything at the end (also on Ctrl-C or the time limit). Run the scripts from the
// repo root after `npx tsc -b`; they use the built packages, so the code measured is what ships.
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request, type Agent } from 'node:http';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOf } from '../../libs/hashing/dist/index.js';
import { startPostgres, startRedis } from '../../libs/testing/dist/index.js';
import { createPrefixedId } from '../../services/api/dist/domain/ids.js';
import { httpGet, ready, root, start } from '../lb/proc.ts';

export { httpGet, median } from '../lb/proc.ts';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

/** At most this many api nodes in any benchmark (the machine has 2 cores). */
const MAX_API_NODES = 3;
const API_PORT_BASE = 18400;
const cleanups: (() => Promise<void>)[] = [];
const running = new Map<number, ApiNode>();

/** Runs `fn` after every other cleanup registered so far has been queued (last in, first out). */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!().catch((err: unknown) => console.error('cleanup:', err));
}

/**
 * Runs a benchmark bounded by `maxSeconds` (env MAX_SECONDS overrides): on success, failure,
 * Ctrl-C or timeout every api node and container it started is stopped.
 */
export async function runBench(name: string, maxSeconds: number, main: () => Promise<void>): Promise<void> {
  const limit = Number(process.env.MAX_SECONDS ?? maxSeconds);
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    // lb/proc.ts re-raises the signal once it has killed the children: the second one waits for us.
    if (stopping) return;
    stopping = true;
    void cleanupAll().finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, sig);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(`${name}: ${new Date().toISOString()}, ${cpus().length} cores, load average ${load()}`);
  try {
    await Promise.race([
      main(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name}: over the ${limit} s limit`)), limit * 1000);
      }),
    ]);
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    console.log(`${name}: done ${new Date().toISOString()}, load average ${load()}`);
    await cleanupAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export interface Infra {
  readonly pgUrl: string;
  readonly redisUrl: string | undefined;
}

const LOCAL_REDIS_PORT = 18499;

/**
 * Debian's redis-server (7.0) as a child on 127.0.0.1:18499, no persistence, as compose runs it.
 * The default: a container's published port goes through docker-proxy (a userland TCP relay),
 * which in compose (api -> Redis over the bridge) is not on the path and would bill every cache hit.
 */
export async function startLocalRedis(): Promise<string> {
  const child = start('redis-server', [
    '--bind',
    '127.0.0.1',
    '--port',
    String(LOCAL_REDIS_PORT),
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });
  for (let i = 0; i < 100; i += 1) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(LOCAL_REDIS_PORT, '127.0.0.1', () => resolve(socket.end() !== undefined));
      socket.on('error', () => resolve(false));
    });
    if (up) return `redis://127.0.0.1:${LOCAL_REDIS_PORT}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

const LOCAL_PG_PORT = 18498;
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Runs a command as the host's `postgres` user (Postgres refuses to run as root). */
function asPostgres(cmd: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]];
}

/**
 * Debian's Postgres 15 as a child on 127.0.0.1:18498 (PG=local): a fresh cluster in a temp dir with
 * the settings of infra/postgres/entrypoint.sh that matter here (shared_buffers 32MB,
 * synchronous_commit on, 100 connections), database and user lab. No docker-proxy on the path.
 */
async function startLocalPostgres(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-pg-'));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })));
  chownSync(dir, uid!, gid!);
  execFileSync(
    ...asPostgres(`${PG_BIN}/initdb`, [
      '-D',
      dir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]),
    {
      stdio: 'ignore',
    },
  );
  const settings = ['shared_buffers=32MB', 'max_connections=100', 'synchronous_commit=on', 'wal_level=replica'];
  const args = [
    '-D',
    dir,
    '-k',
    dir,
    '-h',
    '127.0.0.1',
    '-p',
    String(LOCAL_PG_PORT),
    ...settings.flatMap((c) => ['-c', c]),
  ];
  const child = start(...asPostgres(`${PG_BIN}/postgres`, args), {}, { stdio: 'ignore' });
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGINT'); // fast shutdown: SIGTERM would wait for every client to leave
    await exited;
  });
  const admin = `postgres://postgres@127.0.0.1:${LOCAL_PG_PORT}/postgres`;
  for (let i = 0; ; i += 1) {
    try {
      await psql(admin, 'SELECT 1;');
      break;
    } catch (err) {
      if (i === 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await psql(admin, "CREATE ROLE lab LOGIN PASSWORD 'lab';\nCREATE DATABASE lab OWNER lab;\n");
  return `postgres://lab:lab@127.0.0.1:${LOCAL_PG_PORT}/lab`;
}

/**
 * One Postgres, the sdl/postgres:15 container (PG=container, the default) or Debian's binaries
 * (PG=local), and, if asked, one Redis: Debian's redis-server (REDIS=local, the default) or the
 * sdl/redis:7 container (REDIS=container). Everything is stopped at cleanup.
 */
export async function startInfra(options: { redis: boolean }): Promise<Infra> {
  const redisKind = process.env.REDIS ?? 'local';
  const [pgUrl, redisUrl] = await Promise.all([
    process.env.PG === 'local'
      ? startLocalPostgres()
      : startPostgres().then((pg) => (onCleanup(() => pg.stop()), pg.url)),
    !options.redis
      ? undefined
      : redisKind === 'container'
        ? startRedis().then((r) => (onCleanup(() => r.stop()), r.url))
        : startLocalRedis(),
  ]);
  return { pgUrl, redisUrl };
}

export interface ApiNode {
  readonly id: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM and wait for the exit (graceful: write-back flushes, connections close). */
  stop(): Promise<void>;
}

/** `node services/api/dist/main.js` as node `index` (1..3) on 127.0.0.1:1840<index>. */
export async function startApi(index: number, env: Record<string, string>): Promise<ApiNode> {
  if (index < 1 || index > MAX_API_NODES) throw new Error(`api node index ${index}: 1..${MAX_API_NODES}`);
  if (running.has(index)) throw new Error(`api node ${index} is already running`);
  const port = API_PORT_BASE + index;
  const id = `api-${index}`;
  // API_PROF=<dir>: each node writes a V8 CPU profile there when it exits.
  const prof = process.env.API_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.API_PROF}`];
  const child = start(process.execPath, [...prof, join(root, 'services/api/dist/main.js')], {
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ID: id,
    LOG_LEVEL: 'warn',
    ETCD_ENDPOINTS: '',
    KAFKA_BROKERS: '',
    SHUTDOWN_GRACE_MS: '5000',
    ...env,
  });
  const node: ApiNode = {
    id,
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      running.delete(index);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  running.set(index, node);
  onCleanup(() => node.stop());
  await ready(`${node.url}/readyz`);
  return node;
}

/** Sum of every series of `name` whose labels include `labels` (Prometheus text format). */
export async function metric(nodeUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { body } = await httpGet(`${nodeUrl}/metrics`);
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const brace = line.indexOf('}');
    const labelText = brace === -1 ? '' : line.slice(name.length + 1, brace);
    const parts = labelText.split(',');
    if (wanted.every((w) => parts.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Sum of `metric` over several nodes. */
export async function clusterMetric(
  nodes: readonly ApiNode[],
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const values = await Promise.all(nodes.map((n) => metric(n.url, name, labels)));
  return values.reduce((a, b) => a + b, 0);
}

/** Runs SQL through psql (Debian postgresql-client), statements on stdin; returns unaligned rows. */
export async function psql(url: string, input: string): Promise<string> {
  const child = spawn('psql', [url, '-AtXq', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`psql failed (${code}): ${err.trim()}`);
  return out.trim();
}

/** The api's tables exist once a node has run its migrations; start one before seeding. */
export interface Seeded {
  readonly accounts: string[];
  /** `[accountId, postId]` pairs, `postsPerAccount` per account. */
  readonly posts: [string, string][];
}

/** Inserts accounts (and posts) straight into the shard, with ids and partitions as the api makes them. */
export async function seed(pgUrl: string, accountCount: number, postsPerAccount = 0): Promise<Seeded> {
  const accounts = Array.from({ length: accountCount }, () => createPrefixedId('acc'));
  const posts: [string, string][] = [];
  const lines = ['BEGIN;', 'COPY accounts (id, email, name, partition) FROM STDIN;'];
  for (const [i, id] of accounts.entries())
    lines.push(`${id}\tbench${i}@example.com\tbench ${i}\t${partitionOf(id, 64)}`);
  lines.push('\\.');
  if (postsPerAccount > 0) {
    lines.push('COPY posts (id, account_id, partition, title, body) FROM STDIN;');
    for (const account of accounts) {
      for (let p = 0; p < postsPerAccount; p += 1) {
        const post = createPrefixedId('pst');
        posts.push([account, post]);
        lines.push(`${post}\t${account}\t${partitionOf(account, 64)}\tbench post\tbody`);
      }
    }
    lines.push('\\.');
  }
  lines.push('COMMIT;', '');
  await psql(pgUrl, lines.join('\n'));
  return { accounts, posts };
}

export interface Answer {
  readonly status: number;
  /** The `x-cache` header (hit, miss, bypass). */
  readonly cache: string;
  readonly ms: number;
}

/** One GET on a keep-alive `agent`: status, `x-cache` and latency (the body is drained). */
export function getAnswer(agent: Agent, url: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          cache: String(res.headers['x-cache']),
          ms: performance.now() - started,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `fn(i)` for i in 0..count-1 with `concurrency` in flight (a closed loop). */
export async function closedLoop(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A markdown table (right-aligned numbers), printed as the other bench scripts do. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map(String));
  const align = header.map((_, i) =>
    cells.every((r) => /^-?[\d.,]+( ?[a-z%]+)?$|^-$/.test(r[i] ?? '')) ? '---:' : '---',
  );
  return [`| ${header.join(' | ')} |`, `|${align.join('|')}|`, ...cells.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
