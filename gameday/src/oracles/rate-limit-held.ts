import type { SpikeAnswer } from '../load/generator.js';
import type { OracleResult } from './oracle.js';

/** The gateway's refusal when a key is over its limit (services/gateway: GW_ERR_RATE_LIMITED). */
const LIMITED = '429 GW_ERR_RATE_LIMITED';
/** The gateway's default RATELIMIT_LOCAL_BATCH_FRACTION (services/gateway/README.md, "two stages"). */
const LOCAL_BATCH_FRACTION = 0.1;

/** The tightest quota of a `RateLimit-Policy` header (`name;q=5;w=60, other;q=1000;w=1`). */
export function parsePolicy(header: string | undefined): { limit: number; windowMs: number } | undefined {
  let best: { limit: number; windowMs: number } | undefined;
  for (const item of (header ?? '').split(',')) {
    const q = /;\s*q=(\d+)/.exec(item)?.[1];
    const w = /;\s*w=(\d+)/.exec(item)?.[1];
    if (q === undefined || w === undefined) continue;
    const quota = { limit: Number(q), windowMs: Number(w) * 1000 };
    if (best === undefined || quota.limit / quota.windowMs < best.limit / best.windowMs) best = quota;
  }
  return best;
}

/** A window the oracle reconstructed: requests surely inside it, and those that may be. */
export interface WindowCount {
  readonly startedAt: number;
  readonly admitted: number;
  readonly maybe: number;
}

/**
 * Admitted requests per limiter window. The fixed window opens at the first admitted hit (on the
 * limiter's clock, somewhere between that request's send and its end) and lasts `windowMs`: a later
 * request surely falls in it if it ended before the earliest possible close, surely after it if it
 * left after the latest possible close; in between it is counted as `maybe`, never as inside.
 */
export function admittedPerWindow(answers: readonly SpikeAnswer[], windowMs: number): WindowCount[] {
  const admitted = answers.filter((a) => a.outcome === 'ok');
  const windows: WindowCount[] = [];
  let i = 0;
  while (i < admitted.length) {
    const first = admitted[i]!;
    let inside = 1;
    let maybe = 0;
    let j = i + 1;
    for (; j < admitted.length; j++) {
      const a = admitted[j]!;
      if (a.sentAt >= first.endedAt + windowMs) break;
      if (a.endedAt < first.sentAt + windowMs) inside++;
      else maybe++;
    }
    windows.push({ startedAt: first.sentAt, admitted: inside, maybe });
    i = j;
  }
  return windows;
}

/**
 * rate-limit-held: the spike stream's key was held to its limit. Every answer is a 2xx or the
 * gateway's 429; at least one 429 came (the spike did pass the limit); in every window the requests
 * surely admitted are at most the limit plus the gateway's documented slack (a lease of b tokens
 * bought in one window and spent in the next carries at most b - 1 over, one gateway).
 */
export function rateLimitHeld(answers: readonly SpikeAnswer[]): OracleResult {
  const name = 'rate-limit-held';
  const policy = answers.map((a) => parsePolicy(a.policy)).find((p) => p !== undefined);
  if (answers.length === 0 || policy === undefined) {
    const summary =
      answers.length === 0
        ? 'no spike stream in the load (load.spike)'
        : `no RateLimit-Policy header in ${answers.length} answers: the limit is unknown`;
    return { name, verdict: 'fail', summary, evidence: { answers: answers.length } };
  }
  const batch = Math.max(1, Math.floor(policy.limit * LOCAL_BATCH_FRACTION));
  const bound = policy.limit + batch - 1;
  const others: Record<string, number> = {};
  let limited = 0;
  for (const a of answers) {
    if (a.outcome === LIMITED) limited++;
    else if (a.outcome !== 'ok') others[a.outcome] = (others[a.outcome] ?? 0) + 1;
  }
  const windows = admittedPerWindow(answers, policy.windowMs);
  const over = windows.filter((w) => w.admitted > bound);
  const unexpected = Object.values(others).reduce((s, n) => s + n, 0);
  const admitted = answers.length - limited - unexpected;
  const most = Math.max(0, ...windows.map((w) => w.admitted));
  const ok = over.length === 0 && unexpected === 0 && limited > 0;
  return {
    name,
    verdict: ok ? 'pass' : 'fail',
    summary:
      `${answers.length} spike requests (limit ${policy.limit} per ${policy.windowMs / 1000} s): ${admitted} admitted, ` +
      `${limited} refused 429, ${unexpected} other answers; at most ${most} admitted in one window of ${windows.length} ` +
      `(bound ${bound})${limited === 0 ? '; never refused: the spike did not pass the limit' : ''}`,
    evidence: { limit: policy.limit, windowMs: policy.windowMs, bound, windows, others },
  };
}
