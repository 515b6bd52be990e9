// Benchmark (issue 8): billing failover time in the compose cluster, over KILLS kills of the leader.
// Each kill: read both replicas' /v1/status at once (from inside a running container), `docker kill`
// the leader, take Docker's own record of its exit (State.FinishedAt), poll the other replica until
// it leads with a larger fencing token, and take that replica's own election time (`since`).
// Failover = since - FinishedAt: both stamps come from the host's one clock, and neither includes
// the time a CLI took to start (the e2e test used to start its clock before `./lab chaos kill`,
// whose docker-compose calls take seconds on a loaded machine). The killed replica is then started
// again and the next kill waits until it is healthy and follows.
// Baseline in the same run: GRACEFUL graceful stops (`docker stop`: SIGTERM -> the replica resigns,
// so the other leads without waiting for a lease; measured from the stop call, CLI start included).
// The design expects a kill to cost at most about TTL + 0.5 s (etcd's expiry sweep) + the watch.
// BURNERS=n runs n CPU-burning processes on the host for the whole run (a saturated machine).
// Needs the cluster up (`./lab up`), `npx tsc -b`, and the cluster lock (docs/benchmarks.md).
// Usage: node bench/failover/billing-failover.ts   (env KILLS=20 GRACEFUL=5 BURNERS=0 TTL_S=3 MAX_SECONDS=1200)
import { loadCpu } from '../../libs/testing/dist/index.js';
import { chaos, getAllFrom, isRunning, stoppedAt, waitHealthy } from '../../tests/support/lab.ts';
import { onCleanup, percentile, runBench, table } from '../api/stack.ts';

const KILLS = Math.min(50, Number(process.env.KILLS ?? 20));
const GRACEFUL = Math.min(20, Number(process.env.GRACEFUL ?? 5));
const BURNERS = Number(process.env.BURNERS ?? 0);
const TTL_MS = Number(process.env.TTL_S ?? 3) * 1000; // ELECTION_TTL_S in docker-compose.yml
const REPLICAS = ['billing-leader-1', 'billing-leader-2'] as const;

interface Status {
  readonly node: string;
  readonly leader: boolean;
  readonly token: string | null;
  readonly since: string | null;
}

async function statuses(): Promise<Status[]> {
  const texts = await getAllFrom(
    [...REPLICAS, 'payments'],
    REPLICAS.map((r) => `http://${r}:3003/v1/status`),
  );
  return texts.flatMap((t) => (t === null ? [] : [JSON.parse(t) as Status]));
}

/** Polls until exactly one replica leads (and, when given, it is `node` with a token above `above`). */
async function leader(node?: string, above = -1n, timeoutMs = 60_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leading = (await statuses()).filter((s) => s.leader);
    const one = leading.length === 1 ? leading[0]! : undefined;
    if (one !== undefined && (node === undefined || one.node === node) && BigInt(one.token ?? '0') > above) return one;
    if (Date.now() > deadline) throw new Error(`no single leader${node === undefined ? '' : ` ${node}`} in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Both replicas running, healthy, and exactly one of them leading. */
async function settled(): Promise<Status> {
  for (const r of REPLICAS) {
    if (!(await isRunning(r))) await chaos('start', r);
    await waitHealthy(r);
  }
  return leader();
}

async function handOver(how: 'kill' | 'stop'): Promise<number> {
  const before = await settled();
  const other = REPLICAS.find((r) => r !== before.node)!;
  const calledAt = Date.now();
  await chaos(how, before.node);
  const from = how === 'kill' ? await stoppedAt(before.node) : calledAt;
  const after = await leader(other, BigInt(before.token ?? '0'));
  return Date.parse(after.since ?? '') - from;
}

function summary(label: string, ms: readonly number[]): (string | number)[] {
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) => Math.round(percentile(sorted, p));
  return [label, sorted.length, sorted[0]!, q(50), q(90), sorted.at(-1)!];
}

await runBench('billing failover', 1200, async () => {
  if (BURNERS > 0) {
    const load = loadCpu({ processes: BURNERS, maxMs: 1_200_000 });
    onCleanup(() => load.stop());
  }
  const graceful: number[] = [];
  for (let i = 0; i < GRACEFUL; i++) graceful.push(await handOver('stop'));
  console.log(`graceful stops (ms): ${graceful.join(' ')}`);
  const kills: number[] = [];
  for (let i = 0; i < KILLS; i++) {
    kills.push(await handOver('kill'));
    console.log(`kill ${i + 1}/${KILLS}: ${kills.at(-1)} ms`);
  }
  await settled();
  const p50 = (ms: readonly number[]) =>
    percentile(
      [...ms].sort((a, b) => a - b),
      50,
    );
  console.log(`\nBURNERS=${BURNERS}, TTL ${TTL_MS} ms\n`);
  console.log(
    table(
      ['hand-over', 'n', 'min ms', 'p50 ms', 'p90 ms', 'max ms'],
      [summary('kill (lease lapses)', kills), summary('graceful stop (resign)', graceful)],
    ),
  );
  console.log(
    `\nkill p50 / TTL = ${(p50(kills) / TTL_MS).toFixed(2)}; kill p50 / graceful p50 = ${(p50(kills) / p50(graceful)).toFixed(1)}`,
  );
});
