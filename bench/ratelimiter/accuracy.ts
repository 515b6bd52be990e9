// Accuracy experiment: the same arrivals through every algorithm (one key each, in parallel) and
// through an exact sliding log computed in process; then fixed window's double burst at its edge.
// Usage: node bench/ratelimiter/accuracy.ts   (env LIMIT=20 WINDOW_MS=1000 DURATION_MS=8000 RATE_X=3)
import { ALGORITHMS, sleepUntil, startBench, type AlgorithmName } from './shared.ts';

const LIMIT = Number(process.env.LIMIT ?? 20);
const WINDOW = Number(process.env.WINDOW_MS ?? 1000);
const DURATION = Number(process.env.DURATION_MS ?? 8000);
const RATE_X = Number(process.env.RATE_X ?? 3);
const params = { limit: LIMIT, windowMs: WINDOW, burst: LIMIT, cost: 1 };

/** Most admitted in any window (t - W, t]: the number a limit of L per W is judged by. */
function maxInWindow(times: readonly number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi += 1) {
    while (times[hi]! - times[lo]! >= WINDOW) lo += 1;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** The exact log: admits when fewer than LIMIT were admitted in the last WINDOW. */
function exactLog(arrivals: readonly number[]): boolean[] {
  const admitted: number[] = [];
  return arrivals.map((t) => {
    const inWindow = admitted.filter((a) => t - a < WINDOW).length;
    if (inWindow >= LIMIT) return false;
    admitted.push(t);
    return true;
  });
}

// Bursty arrivals at RATE_X times the limit: quiet stretches, then clumps (exponential gaps, varying rate).
function arrivalsPlan(): number[] {
  const out: number[] = [];
  let t = 0;
  while (t < DURATION) {
    const phase = Math.floor(t / 1500) % 3; // 0: 0.3x, 1: 1x, 2: 2x the mean rate
    const rate = ((RATE_X * LIMIT) / WINDOW) * [0.3, 1, 2][phase]!;
    t += -Math.log(1 - Math.random()) / rate;
    out.push(t);
  }
  return out;
}

async function steadyTraffic(bench: Awaited<ReturnType<typeof startBench>>): Promise<void> {
  const plan = arrivalsPlan();
  const run = `acc-${Date.now()}`;
  const start = performance.now();
  const sent: number[] = [];
  const decisions = new Map<AlgorithmName, Promise<boolean>[]>(ALGORITHMS.map((a) => [a, []]));
  for (const offset of plan) {
    await sleepUntil(start + offset);
    sent.push(performance.now() - start);
    for (const a of ALGORITHMS)
      decisions.get(a)!.push(bench.algorithms[a].check(`${run}:${a}`, params).then((d) => d.allowed));
  }
  const exact = exactLog(sent);
  const exactAdmitted = exact.filter(Boolean).length;
  console.log(
    `\nSteady bursty traffic: ${sent.length} requests in ${DURATION} ms, limit ${LIMIT}/${WINDOW} ms (${RATE_X}x mean)`,
  );
  console.log(`exact log admits ${exactAdmitted}; max in any window ${maxInWindow(sent.filter((_, i) => exact[i]))}`);
  console.log('algorithm        admitted  vs-exact  max-in-window  over-limit  admitted-not-exact  denied-but-exact');
  for (const a of ALGORITHMS) {
    const allowed = await Promise.all(decisions.get(a)!);
    const times = sent.filter((_, i) => allowed[i]);
    const max = maxInWindow(times);
    const extra = allowed.filter((ok, i) => ok && !exact[i]).length;
    const missed = allowed.filter((ok, i) => !ok && exact[i]).length;
    const diff = ((times.length / exactAdmitted - 1) * 100).toFixed(1);
    console.log(
      `${a.padEnd(16)} ${String(times.length).padStart(8)}  ${diff.padStart(7)}%  ${String(max).padStart(13)}  ${String(Math.max(0, max - LIMIT)).padStart(10)}  ${String(extra).padStart(18)}  ${String(missed).padStart(16)}`,
    );
  }
}

// One hit opens the window at t0; LIMIT just before t0 + W and LIMIT just after: fixed window admits ~2x.
async function edgeBurst(bench: Awaited<ReturnType<typeof startBench>>): Promise<void> {
  const run = `edge-${Date.now()}`;
  const burst = (a: AlgorithmName) =>
    Promise.all(Array.from({ length: LIMIT }, () => bench.algorithms[a].check(`${run}:${a}`, params)));
  const t0 = performance.now();
  await Promise.all(ALGORITHMS.map((a) => bench.algorithms[a].check(`${run}:${a}`, params)));
  await sleepUntil(t0 + WINDOW - 60);
  const before = await Promise.all(ALGORITHMS.map(burst));
  await sleepUntil(t0 + WINDOW + 30);
  const after = await Promise.all(ALGORITHMS.map(burst));
  const span = performance.now() - t0 - WINDOW + 60;
  console.log(
    `\nEdge burst: 1 hit at t0, ${LIMIT} at t0+W-60ms, ${LIMIT} at t0+W+30ms (all within ~${span.toFixed(0)} ms)`,
  );
  console.log('algorithm        before-edge  after-edge  total-in-~100ms  (limit per window ' + LIMIT + ')');
  ALGORITHMS.forEach((a, i) => {
    const b = before[i]!.filter((d) => d.allowed).length;
    const c = after[i]!.filter((d) => d.allowed).length;
    console.log(`${a.padEnd(16)} ${String(b).padStart(11)}  ${String(c).padStart(10)}  ${String(b + c).padStart(15)}`);
  });
}

const bench = await startBench();
try {
  await steadyTraffic(bench);
  await edgeBurst(bench);
} finally {
  await bench.close();
}
