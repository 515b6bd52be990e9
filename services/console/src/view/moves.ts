import type { ClusterStatus } from '../sources/cluster-status.js';

/** One partition move as the page lists it. */
export interface MoveRow {
  /** The api node that runs it (its admin listener's host name). */
  readonly node: string;
  readonly id: number;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly startedAt: string;
  readonly state: 'running' | 'done' | 'failed';
  /** `MOVING`, `DONE`, `FAILED`: the state in words. */
  readonly stateLabel: string;
  /** `writes held 12 ms, 4.1 s in all`, or the refusal's code and message. */
  readonly detail: string;
}

export interface MovesView {
  /** False when no api node's admin listener answered (the list may then be incomplete). */
  readonly ok: boolean;
  readonly error?: string;
  /** Newest first, at most SHOWN. */
  readonly rows: readonly MoveRow[];
}

const SHOWN = 6;
const LABEL = { running: 'MOVING', done: 'DONE', failed: 'FAILED' } as const;

const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
};

/** The moves the api nodes started from their admin listeners, merged, newest first. */
export function movesView(status: ClusterStatus): MovesView {
  const answered = status.moves.filter((m) => m.moves.ok);
  const rows = status.moves
    .flatMap(({ url, moves }) => (moves.ok ? moves.value.moves.map((m) => ({ node: hostOf(url), m })) : []))
    .sort((a, b) => b.m.startedAt.localeCompare(a.m.startedAt))
    .slice(0, SHOWN)
    .map(({ node, m }) => ({
      node,
      id: m.id,
      partition: m.partition,
      from: m.from,
      to: m.to,
      startedAt: m.startedAt,
      state: m.state,
      stateLabel: LABEL[m.state],
      detail:
        m.state === 'failed'
          ? `${m.error?.code ?? 'failed'}: ${m.error?.message ?? ''}`
          : m.report === undefined
            ? 'copying, then writes held under the fence'
            : `writes held ${Math.round(m.report.fenceMs)} ms, ${(m.report.totalMs / 1000).toFixed(1)} s in all`,
    }));
  if (status.moves.length > 0 && answered.length === 0) {
    const first = status.moves[0]!.moves;
    return { ok: false, error: first.ok ? '' : first.error, rows };
  }
  return { ok: true, rows };
}
