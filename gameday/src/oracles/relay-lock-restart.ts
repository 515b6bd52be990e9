import { API_NODES, containerOf, docker } from '@sdl/compose';
import { apiMetrics, labelsOf } from './api-metrics.js';
import type { OracleResult } from './oracle.js';

const RESOURCE = /^outbox-relay:shard:(\d+)$/;

/** The outbox relay locks as the api nodes count them, and the lock Redis modes they read. */
export interface RelayLockCounts {
  /** `api_outbox_relay_lock_lost_total{reason}` summed over shards and nodes. */
  readonly lost: Record<string, number>;
  /** `api_outbox_relay_lock_acquired_total` summed. */
  readonly acquired: number;
  /** `api_lock_redis_persistence` modes, one per lock Redis instance that answered. */
  readonly modes: string[];
}

/** The relay lock series of one node's Prometheus text exposition. */
export function relayLockCountsIn(exposition: string): RelayLockCounts {
  const lost: Record<string, number> = {};
  let acquired = 0;
  const modes = new Map<string, string>();
  for (const line of exposition.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    const labels = labelsOf(line);
    if (line.startsWith('api_outbox_relay_lock_acquired_total{')) acquired += value;
    else if (line.startsWith('api_outbox_relay_lock_lost_total{') && labels.reason !== undefined)
      lost[labels.reason] = (lost[labels.reason] ?? 0) + value;
    else if (line.startsWith('api_lock_redis_persistence{') && value === 1 && labels.instance !== undefined)
      modes.set(labels.instance, labels.mode ?? 'unknown');
  }
  return { lost, acquired, modes: [...modes.entries()].sort().map(([, mode]) => mode) };
}

/** The relay lock counters summed over the running api nodes (each node's own /metrics). */
export async function relayLockCounts(): Promise<RelayLockCounts> {
  const lost: Record<string, number> = {};
  let acquired = 0;
  let modes: string[] = [];
  for (const text of Object.values(await apiMetrics())) {
    const counts = relayLockCountsIn(text);
    acquired += counts.acquired;
    for (const [reason, n] of Object.entries(counts.lost)) lost[reason] = (lost[reason] ?? 0) + n;
    if (counts.modes.length > modes.length) modes = counts.modes;
  }
  return { lost, acquired, modes };
}

/** One node's hold of one shard's relay lock, from its log: acquired at `from`, lost at `to` (ms). */
export interface Hold {
  readonly node: string;
  readonly shard: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The holds in one node's JSON log lines from `start` to `end` (lock-keeper's "lock acquired" and
 * "... lock lost"): a loss with no acquisition before it was held since `start`, an acquisition with
 * no loss after it is held at `end`.
 */
export function holdsIn(node: string, lines: readonly string[], start: number, end: number): Hold[] {
  const holds: Hold[] = [];
  const open = new Map<number, number>();
  for (const line of lines) {
    if (!line.includes('"lock-keeper"')) continue;
    let entry: { resource?: string; msg?: string; time?: string | number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const shard = RESOURCE.exec(entry.resource ?? '')?.[1];
    const at = typeof entry.time === 'number' ? entry.time : Date.parse(entry.time ?? '');
    if (shard === undefined || !Number.isFinite(at)) continue;
    if (entry.msg === 'lock acquired') open.set(Number(shard), at);
    else if (entry.msg?.endsWith('lock lost') === true) {
      holds.push({ node, shard: Number(shard), from: open.get(Number(shard)) ?? start, to: at });
      open.delete(Number(shard));
    }
  }
  for (const [shard, from] of open) holds.push({ node, shard, from, to: end });
  return holds;
}

/** Two nodes holding one shard's relay lock at the same time: the double grants, with how long they overlapped. */
export function doubleGrants(holds: readonly Hold[]): { shard: number; nodes: string[]; overlapMs: number }[] {
  const found: { shard: number; nodes: string[]; overlapMs: number }[] = [];
  holds.forEach((a, i) => {
    for (const b of holds.slice(i + 1)) {
      const overlapMs = Math.min(a.to, b.to) - Math.max(a.from, b.from);
      if (a.shard === b.shard && a.node !== b.node && overlapMs > 0)
        found.push({ shard: a.shard, nodes: [a.node, b.node], overlapMs });
    }
  });
  return found;
}

/** Every api node's holds of the relay locks since `sinceMs`, from its container's log. */
export async function relayLockHolds(sinceMs: number): Promise<Hold[]> {
  const holds: Hold[] = [];
  const since = new Date(sinceMs).toISOString();
  for (const node of API_NODES) {
    const out = await docker(['logs', '--since', since, await containerOf(node)]);
    holds.push(...holdsIn(node, out.split('\n'), sinceMs, Date.now()));
  }
  return holds;
}

/**
 * relay-lock-restart: what a restart of lock Redis did to the outbox relays' Redlock, judged
 * against the voters' persistence mode during the run (read before the load). Without persistence
 * (none) a majority restarted comes back empty: the holder's next extension is refused, a lock a
 * majority had granted is forgotten, and another node may take it while the holder still acts on it
 * (the double grants, from the nodes' logs). At least one lock must be forgotten, else the restart
 * missed and the run showed nothing. With aof-always no lock may be forgotten. Double grants are
 * reported, not judged: a holder paused past its validity makes one too (the other Redlock hazard),
 * and a loss by expiry is logged when its timer fires, a little after the validity ended. Other
 * modes are reported, not judged (rdb and aof-everysec may lose the newest extension).
 */
export function relayLockRestart(before: RelayLockCounts, after: RelayLockCounts, holds: Hold[]): OracleResult {
  const delta = (reason: string) => Math.max(0, (after.lost[reason] ?? 0) - (before.lost[reason] ?? 0));
  const forgotten = delta('extend_failed');
  const expired = delta('expired');
  const acquired = Math.max(0, after.acquired - before.acquired);
  const grants = doubleGrants(holds);
  const modes = [...new Set(before.modes)];
  const mode = modes.length === 1 ? modes[0]! : modes.length === 0 ? 'unknown' : 'mixed';
  const verdict =
    mode === 'none'
      ? forgotten > 0
      : mode === 'aof-always'
        ? forgotten === 0
        : mode === 'rdb' || mode === 'aof-everysec' || mode === 'mixed';
  const judged =
    mode === 'none'
      ? 'must forget a lock'
      : mode === 'aof-always'
        ? 'must forget none'
        : mode === 'unknown'
          ? 'no api node reported the lock Redis modes'
          : 'not judged';
  const longest = Math.max(0, ...grants.map((g) => g.overlapMs));
  return {
    name: 'relay-lock-restart',
    verdict: verdict ? 'pass' : 'fail',
    summary:
      `lock Redis persistence ${mode} (${judged}): ${forgotten} relay locks forgotten (an extension refused by the voters), ` +
      `${expired} expired, ${acquired} acquisitions; ${grants.length} double grants` +
      (grants.length > 0 ? ` (two nodes relaying one shard for up to ${longest} ms)` : ''),
    evidence: { modes: before.modes, forgotten, expired, acquired, doubleGrants: grants },
  };
}
