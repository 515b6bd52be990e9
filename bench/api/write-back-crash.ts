// Benchmark 4b (issue 4): what a crash costs the write-back view counters, measured.
// One api node, one Postgres, Debian's redis-server; RATE view increments per second (open loop)
// over POSTS posts for DURATION seconds per scenario, VIEWS_FLUSH_MS between flushes:
// - api crash: SIGKILL of the node half-way, restarted at once with the same NODE_ID. Claim:
//   nothing acknowledged is lost (the increments live in Redis; the node's views:flushing hash
//   is retried when it comes back); a crash between a flush's commit and its HDEL counts a batch twice.
// - Redis crash: SHUTDOWN NOSAVE half-way (the cache runs without persistence, as in compose).
//   Claim: at most one flush interval of increments is lost (RATE x VIEWS_FLUSH_MS / 1000);
//   increments after the crash go straight to Postgres.
// Lost = acknowledged (204) - counted in Postgres once every flush has landed.
// Build first (`npx tsc -b`). Usage: node bench/api/write-back-crash.ts
//   (env RATE=500 DURATION=8 POSTS=50 VIEWS_FLUSH_MS=1000)
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { httpGet, metric, psql, runBench, seed, startApi, startInfra, table, type ApiNode } from './stack.ts';

const RATE = Number(process.env.RATE ?? 500);
const DURATION = Number(process.env.DURATION ?? 8);
const POSTS = Number(process.env.POSTS ?? 50);
const FLUSH_MS = Number(process.env.VIEWS_FLUSH_MS ?? 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function post(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

interface Outcome {
  readonly scenario: string;
  readonly sent: number;
  readonly acked: number;
  readonly stored: number;
  readonly sinceFlushMs: number;
}

await runBench('write-back-crash', 120 + 4 * DURATION, async () => {
  const infra = await startInfra({ redis: true });
  const env = {
    SHARD_PRIMARIES: infra.pgUrl,
    REDIS_CACHE_URL: infra.redisUrl!,
    VIEWS_FLUSH_MS: String(FLUSH_MS),
    REDIS_TIMEOUT_MS: '1000',
  };
  let node: ApiNode = await startApi(1, env);
  const { posts } = await seed(infra.pgUrl, POSTS, 1);
  const stored = async () => Number(await psql(infra.pgUrl, 'SELECT coalesce(sum(view_count), 0) FROM posts;'));
  const url = (i: number) => {
    const [accountId, postId] = posts[i % posts.length]!;
    return `/v1/accounts/${accountId}/posts/${postId}/views`;
  };
  for (let i = 0; i < posts.length; i += 1) await httpGet(`${node.url}${url(i).replace(/\/views$/, '')}`);
  const outcomes: Outcome[] = [];

  for (const scenario of ['api crash', 'Redis crash']) {
    await sleep(FLUSH_MS * 2);
    await psql(infra.pgUrl, 'UPDATE posts SET view_count = 0;');
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    let sent = 0;
    let acked = 0;
    let crashed = false;
    let lastFlushAt = performance.now();
    let sinceFlushMs = 0;
    const inflight = new Set<Promise<void>>();
    const started = performance.now();
    // Track the node's flushes: the age of the last one at the crash is the increments at risk.
    // The node's flush counter (cheap to poll, unlike psql): it moves when a flush lands.
    let seen = 0;
    const flushes = setInterval(
      () =>
        void metric(node.url, 'api_view_flush_posts_total', { result: 'ok' })
          .then((n) => {
            if (n !== seen) [seen, lastFlushAt] = [n, performance.now()];
          })
          .catch(() => undefined),
      20,
    );
    while (performance.now() - started < DURATION * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE);
      for (; sent < due && inflight.size < 256; sent += 1) {
        const p = post(agent, `${node.url}${url(sent)}`).then((status) => {
          if (status === 204) acked += 1;
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      if (!crashed && performance.now() - started > (DURATION * 1000) / 2) {
        crashed = true;
        sinceFlushMs = performance.now() - lastFlushAt;
        if (scenario === 'api crash') {
          const exited = once(node.child, 'exit');
          node.child.kill('SIGKILL');
          await exited;
          await node.stop();
          node = await startApi(1, env);
        } else {
          execFileSync('redis-cli', ['-u', infra.redisUrl!, 'SHUTDOWN', 'NOSAVE'], { stdio: 'ignore' });
        }
      }
      await sleep(5);
    }
    await Promise.all(inflight);
    clearInterval(flushes);
    agent.destroy();
    // Every flush lands within a few intervals; wait until the count stops moving.
    let count = await stored();
    for (let i = 0; i < 50; i += 1) {
      await sleep(FLUSH_MS / 2);
      const now = await stored();
      if (now === count && now >= acked) break;
      count = now;
    }
    outcomes.push({ scenario, sent, acked, stored: await stored(), sinceFlushMs });
  }

  const bound = (RATE * FLUSH_MS) / 1000;
  console.log(
    `\nwrite-back crash: ${RATE} increments/s over ${POSTS} posts, ${DURATION} s per scenario, VIEWS_FLUSH_MS=${FLUSH_MS}; one interval = ${bound} increments\n`,
  );
  console.log(
    table(
      [
        'scenario',
        'sent',
        'acknowledged (204)',
        'in Postgres',
        'lost',
        'lost / one interval',
        'last flush before the crash, ms ago',
      ],
      outcomes.map((o) => [
        o.scenario,
        o.sent,
        o.acked,
        o.stored,
        o.acked - o.stored,
        ((o.acked - o.stored) / bound).toFixed(2),
        o.sinceFlushMs.toFixed(0),
      ]),
    ),
  );
});
