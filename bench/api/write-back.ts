// Benchmark 4 (issue 4): database writes per INCREMENTS view increments
// (POST /v1/accounts/:accountId/posts/:postId/views), VIEWS_MODE=write-back vs off, one api node,
// one Postgres + one Redis. POSTS seeded posts (one account each) get the increments round-robin,
// CONCURRENCY in flight. Counted per mode, from a node started for that mode alone:
// - write transactions: the node's api_db_query_duration_seconds_count{op="views_flush"} delta
//   (write-back: one per shard per flush; off: one per increment);
// - rows: pg_stat_user_tables n_tup_upd of posts and n_tup_ins of outbox (a post.views_added event
//   per post per flush), read after the node has stopped (a backend reports its statistics at exit);
// - the views in Postgres afterwards, which must equal the increments sent (nothing lost).
// Build first (`npx tsc -b`). Usage: node bench/api/write-back.ts
//   (env INCREMENTS=10000 POSTS=100 CONCURRENCY=32 VIEWS_FLUSH_MS=1000)
import { Agent, request } from 'node:http';
import { closedLoop, httpGet, metric, psql, runBench, seed, startApi, startInfra, table } from './stack.ts';

const INCREMENTS = Number(process.env.INCREMENTS ?? 10_000);
const POSTS = Number(process.env.POSTS ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const FLUSH_MS = process.env.VIEWS_FLUSH_MS ?? '1000';

function post(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

interface TableStats {
  readonly updated: number;
  readonly inserted: number;
}

/** Cumulative row counts from the statistics collector, once they stop moving (backend exit reports). */
async function tableStats(pgUrl: string): Promise<TableStats> {
  const read = async (): Promise<TableStats> => {
    const [upd, ins] = (
      await psql(
        pgUrl,
        "SELECT (SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'posts'), (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'outbox');",
      )
    ).split('|');
    return { updated: Number(upd), inserted: Number(ins) };
  };
  let last = await read();
  for (let i = 0; i < 20; i += 1) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await read();
    if (now.updated === last.updated && now.inserted === last.inserted) return now;
    last = now;
  }
  return last;
}

interface ModeResult {
  readonly mode: string;
  readonly seconds: number;
  readonly transactions: number;
  readonly rowsUpdated: number;
  readonly outboxRows: number;
  readonly viewsStored: number;
  readonly errors: number;
}

await runBench('write-back', 300 + INCREMENTS / 50, async () => {
  const infra = await startInfra({ redis: true });
  const results: ModeResult[] = [];
  let posts: [string, string][] = [];
  for (const mode of ['write-back', 'off']) {
    const node = await startApi(1, {
      SHARD_PRIMARIES: infra.pgUrl,
      REDIS_CACHE_URL: infra.redisUrl!,
      VIEWS_MODE: mode,
      VIEWS_FLUSH_MS: FLUSH_MS,
    });
    if (posts.length === 0) posts = (await seed(infra.pgUrl, POSTS, 1)).posts;
    await psql(infra.pgUrl, 'UPDATE posts SET view_count = 0;');
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const url = (i: number) => {
      const [accountId, postId] = posts[i % posts.length]!;
      return `${node.url}/v1/accounts/${accountId}/posts/${postId}/views`;
    };
    // Warm-up outside the count: every post's existence check goes through the post cache once.
    for (let i = 0; i < posts.length; i += 1) await httpGet(url(i).replace(/\/views$/, ''));
    const txBefore = await metric(node.url, 'api_db_query_duration_seconds_count', { op: 'views_flush' });
    const statsBefore = await tableStats(infra.pgUrl);
    let errors = 0;
    const started = performance.now();
    await closedLoop(INCREMENTS, CONCURRENCY, async (i) => {
      if ((await post(agent, url(i))) !== 204) errors += 1;
    });
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    // Wait for the interval flushes to land every increment, so the transaction count is complete
    // before the node stops (its shutdown flush then finds nothing; if one was still needed, the
    // rows below include it and the transaction count misses it).
    const stored = async () => Number(await psql(infra.pgUrl, 'SELECT coalesce(sum(view_count), 0) FROM posts;'));
    for (let i = 0; i < 100 && (await stored()) < INCREMENTS; i += 1) await new Promise((r) => setTimeout(r, 100));
    const transactions =
      (await metric(node.url, 'api_db_query_duration_seconds_count', { op: 'views_flush' })) - txBefore;
    await node.stop();
    const statsAfter = await tableStats(infra.pgUrl);
    const viewsStored = await stored();
    results.push({
      mode,
      seconds,
      transactions,
      rowsUpdated: statsAfter.updated - statsBefore.updated,
      outboxRows: statsAfter.inserted - statsBefore.inserted,
      viewsStored,
      errors,
    });
  }

  const per10k = (n: number) => ((n * 10_000) / INCREMENTS).toFixed(n * 10_000 < INCREMENTS * 10 ? 1 : 0);
  console.log(
    `\nwrite-back: ${INCREMENTS} view increments over ${POSTS} posts (one shard), ${CONCURRENCY} in flight, one api node, VIEWS_FLUSH_MS=${FLUSH_MS}\n`,
  );
  console.log(
    table(
      [
        'VIEWS_MODE',
        'increments/s',
        'write transactions',
        'posts rows updated',
        'outbox rows',
        'rows written per 10 000 increments',
        'views in Postgres after',
        'errors',
      ],
      results.map((r) => [
        r.mode,
        (INCREMENTS / r.seconds).toFixed(0),
        r.transactions,
        r.rowsUpdated,
        r.outboxRows,
        per10k(r.rowsUpdated + r.outboxRows),
        `${r.viewsStored} / ${INCREMENTS}`,
        r.errors,
      ]),
    ),
  );
  const [wb, off] = results;
  if (wb !== undefined && off !== undefined && wb.rowsUpdated > 0) {
    console.log(
      `\nrow writes, off / write-back: ${((off.rowsUpdated + off.outboxRows) / (wb.rowsUpdated + wb.outboxRows)).toFixed(0)}x`,
    );
  }
});
