// Benchmark (issue 8): how long the etcd election and registration hand over, measured here instead
// of asserted in the component tests (libs/coord/test, services/billing-leader/test). One etcd
// (the sdl/etcd testcontainer), candidates in this process with the compose settings (TTL 3 s,
// margin 750 ms), ROUNDS rounds of each:
// - resign: the leader resigns (revokes its lease) -> the follower is elected;
// - crash: the leader's coordinator closes without revoking (as a dead process) -> the follower is
//   elected once etcd expires the lease (expected: TTL minus the time since the last keep-alive,
//   each TTL/3, plus etcd's 500 ms expiry sweep, plus the watch);
// - cut off: the leader's own TCP path to etcd freezes -> when its lease clock demotes it, and when
//   etcd elects the follower; the gap between the two is the safety margin (must stay > 0);
// - registration: a key under a 2 s lease whose keep-alives stop -> gone from etcd.
// Baseline in the same run: one etcd put round trip (median of 50).
// Build first (`npx tsc -b`). Usage: node bench/coord/handover.ts   (env ROUNDS=10 MAX_SECONDS=600)
import { performance } from 'node:perf_hooks';
import { createLogger } from '../../libs/logging/dist/index.js';
import { createCoordinator, type Campaign, type Coordinator } from '../../libs/coord/dist/index.js';
import { startEtcd, startTcpProxy } from '../../libs/testing/dist/index.js';
import { onCleanup, percentile, runBench, table } from '../api/stack.ts';

const ROUNDS = Math.min(30, Number(process.env.ROUNDS ?? 10));
const TTL_S = 3;
const MARGIN_MS = 750;
const logger = createLogger({ name: 'bench', level: 'silent' });

let url = '';
const made: Coordinator[] = [];
const coordinator = (endpoint = url): Coordinator => {
  const c = createCoordinator({ endpoints: [endpoint], logger });
  made.push(c);
  return c;
};
const closeAll = () => Promise.all(made.splice(0).map((c) => c.close()));

/** Resolves with performance.now() at the campaign's next `event`. */
const at = (campaign: Campaign, event: 'elected' | 'demoted'): Promise<number> =>
  new Promise((resolve) => campaign.once(event, () => resolve(performance.now())));

/** Two candidates in `election`; resolves once the first leads (it is created first, so it leads). */
async function pair(
  election: string,
  leaderEndpoint = url,
): Promise<{ leader: Campaign; follower: Campaign; leaderNode: Coordinator }> {
  const leaderNode = coordinator(leaderEndpoint);
  const leader = leaderNode.campaign({ election, candidate: 'a', ttlSeconds: TTL_S, marginMs: MARGIN_MS });
  await at(leader, 'elected');
  const follower = coordinator().campaign({ election, candidate: 'b', ttlSeconds: TTL_S, marginMs: MARGIN_MS });
  // The follower's key is in etcd once it names the leader and its own campaign has started waiting.
  while ((await follower.leader()) !== 'a') await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  return { leader, follower, leaderNode };
}

function row(label: string, ms: readonly number[], baseline: number): (string | number)[] {
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) => Math.round(percentile(sorted, p));
  return [
    label,
    sorted.length,
    Math.round(sorted[0]!),
    q(50),
    Math.round(sorted.at(-1)!),
    (q(50) / (TTL_S * 1000)).toFixed(2),
    (q(50) / baseline).toFixed(0),
  ];
}

await runBench('coord hand-over', 600, async () => {
  const etcd = await startEtcd();
  onCleanup(() => etcd.stop());
  onCleanup(async () => void (await closeAll()));
  url = etcd.url;

  const probe = createCoordinator({ endpoints: [url], logger });
  onCleanup(() => probe.close());
  const rtts: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await probe.put('/sdl/bench/rtt', String(i));
    rtts.push(performance.now() - start);
  }
  const rtt = percentile(
    [...rtts].sort((a, b) => a - b),
    50,
  );

  const resign: number[] = [];
  const crash: number[] = [];
  const cutDemoted: number[] = [];
  const cutElected: number[] = [];
  const registration: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    {
      const { leader, follower } = await pair(`resign-${i}`);
      const elected = at(follower, 'elected');
      const start = performance.now();
      await leader.resign();
      resign.push((await elected) - start);
    }
    {
      const { follower, leaderNode } = await pair(`crash-${i}`);
      const elected = at(follower, 'elected');
      const start = performance.now();
      await leaderNode.close();
      crash.push((await elected) - start);
    }
    {
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(url).port) });
      const { leader, follower } = await pair(`cut-${i}`, `http://127.0.0.1:${proxy.port}`);
      const demoted = at(leader, 'demoted');
      const elected = at(follower, 'elected');
      const start = performance.now();
      proxy.freeze();
      cutDemoted.push((await demoted) - start);
      cutElected.push((await elected) - start);
      proxy.thaw();
      await proxy.close();
    }
    {
      const node = coordinator();
      await node.register(`/sdl/bench/reg/${i}`, 'x', 2);
      await new Promise((r) => setTimeout(r, 1000));
      await node.close();
      const start = performance.now();
      while ((await probe.get(`/sdl/bench/reg/${i}`)) !== undefined) await new Promise((r) => setTimeout(r, 20));
      registration.push(performance.now() - start);
    }
    await closeAll();
    console.log(`round ${i + 1}/${ROUNDS} done`);
  }
  const gaps = cutElected.map((e, i) => e - cutDemoted[i]!);
  console.log(`\netcd put round trip: p50 ${rtt.toFixed(1)} ms (baseline); TTL ${TTL_S} s, margin ${MARGIN_MS} ms\n`);
  console.log(
    table(
      ['what', 'n', 'min ms', 'p50 ms', 'max ms', 'p50 / TTL', 'p50 / round trip'],
      [
        row('resign -> follower elected', resign, rtt),
        row('crash (no revoke) -> follower elected', crash, rtt),
        row('cut off -> leader demotes itself (lease clock)', cutDemoted, rtt),
        row('cut off -> etcd elects the follower', cutElected, rtt),
        row('cut off: elected - demoted (safety gap)', gaps, rtt),
        row('registration (2 s lease) keep-alives stop -> key gone', registration, rtt),
      ],
    ),
  );
  if (Math.min(...gaps) <= 0) console.log('\nWARNING: a follower was elected before the cut-off leader demoted itself');
});
