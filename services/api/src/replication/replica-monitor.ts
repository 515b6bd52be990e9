import type { Logger } from '@sdl/logging';
import { Counter, Gauge, type Registry } from '@sdl/metrics';
import type pg from 'pg';
import { parseLsn } from './read-scope.js';

export interface ReplicaMonitorOptions {
  /** The primary pool of each shard (index = shard); its current WAL position is the reference. */
  readonly primaries: readonly pg.Pool[];
  /** The replica pool of each shard, or undefined where the shard has none. */
  readonly replicas: readonly (pg.Pool | undefined)[];
  readonly logger: Logger;
  readonly registry: Registry;
  // Every value below comes from the api config (defaults there: REPLICA_PROBE_MS, ...).
  /** Probe period, ms. */
  readonly probeMs: number;
  /**
   * Probe period while idle, ms: once no read has asked for a replica for this long. The next read
   * probes at once; until that probe lands, a state older than 3 probeMs plus the connect timeout
   * sends reads to the primary, as ever. At or below probeMs: never idle.
   */
  readonly idleProbeMs: number;
  /** The pools' connect timeout: a probe round waiting on a dead primary takes this long. */
  readonly connectTimeoutMs: number;
  /**
   * Whether a read without a token may use the replica at all (the default is no: such a client
   * may have just written through another node, and only the primary is sure to show it).
   */
  readonly tokenlessReads: boolean;
  /** A token-less read uses the replica only within these bounds. */
  readonly maxLagMs: number;
  readonly maxLagBytes: number;
}

interface ReplicaState {
  up: boolean;
  /** When the last probe succeeded (ms); an older state than 3 periods + a connect timeout counts as down. */
  probedAt: number;
  replayLsn: bigint;
  lagBytes: number;
  lagMs: number;
  /** Recent primary positions and when they were seen: the lag in time is the age of the oldest not replayed. */
  samples: { lsn: bigint; at: number }[];
}

const MAX_SAMPLES = 64;

/** PG_SYNC_REPLICATION's modes (infra/postgres/sync-replication.sh): what a commit on the primary waits for. */
export const SYNC_REPLICATION_MODES = ['off', 'remote_write', 'on', 'remote_apply'] as const;
export type SyncReplicationMode = (typeof SYNC_REPLICATION_MODES)[number];

/** The mode a primary's settings amount to: no standby named, or a local-only commit, is asynchronous. */
export function syncReplicationMode(standbyNames: string, synchronousCommit: string): SyncReplicationMode {
  if (standbyNames.trim() === '') return 'off';
  return (SYNC_REPLICATION_MODES as readonly string[]).includes(synchronousCommit)
    ? (synchronousCommit as SyncReplicationMode)
    : 'off';
}

/**
 * Tracks each replica's replay position and lag with one cheap probe per period (never a query
 * per read), and answers "may this read use the replica?". A replica that fails a probe or a read
 * is down until the next probe succeeds. An idle node (no read has asked for idleProbeMs) probes
 * at the idle period instead, and the next read that asks probes at once.
 */
export class ReplicaMonitor {
  readonly #o: ReplicaMonitorOptions;
  readonly #states: (ReplicaState | undefined)[];
  readonly #log: Logger;
  readonly #lagSeconds: Gauge<'shard'>;
  readonly #lagBytes: Gauge<'shard'>;
  readonly #up: Gauge<'shard'>;
  readonly #syncMode: Gauge<'shard' | 'mode'>;
  readonly #probes: Counter<'shard'>;
  #timer: NodeJS.Timeout | undefined;
  #probing: Promise<void> | undefined;
  #closed = false;
  /** When a read last asked whether it may use a replica (ms; the start counts as one). */
  #askedAt = Date.now();
  /** The pending timer is the idle period's: a read wakes it (see usable). */
  #idle = false;

  constructor(options: ReplicaMonitorOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'replica-monitor' });
    this.#states = options.replicas.map((pool) =>
      pool === undefined ? undefined : { up: false, probedAt: 0, replayLsn: 0n, lagBytes: 0, lagMs: 0, samples: [] },
    );
    const gauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['shard'] as const, registers: [options.registry] });
    this.#lagSeconds = gauge(
      'api_replica_lag_seconds',
      'Replica replay lag in time (age of the oldest primary WAL position not replayed)',
    );
    this.#lagBytes = gauge('api_replica_lag_bytes', 'Replica replay lag in WAL bytes behind the primary');
    this.#up = gauge('api_replica_up', '1 while the replica answers its probe as a hot standby');
    this.#probes = new Counter({
      name: 'api_replica_probes_total',
      help: 'Replica probes run (every REPLICA_PROBE_MS while reads ask, every REPLICA_IDLE_PROBE_MS once idle)',
      labelNames: ['shard'] as const,
      registers: [options.registry],
    });
    this.#syncMode = new Gauge({
      name: 'api_shard_sync_replication',
      help: "1 for the shard primary's replication mode as its settings say (PG_SYNC_REPLICATION: off = async), 0 for the others",
      labelNames: ['shard', 'mode'] as const,
      registers: [options.registry],
    });
  }

  get probeMs(): number {
    return this.#o.probeMs;
  }

  /** Whether the probes run at the idle period now (no read has asked for idleProbeMs). */
  get idle(): boolean {
    return this.#idle;
  }

  /** Starts the periodic probe; the first round runs at once. */
  start(): void {
    this.#tick();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#idle = false;
    this.#probing = this.probe().finally(() => {
      this.#probing = undefined;
      if (this.#closed) return;
      this.#idle = this.#o.idleProbeMs > this.probeMs && Date.now() - this.#askedAt >= this.#o.idleProbeMs;
      this.#timer = setTimeout(() => this.#tick(), this.#idle ? this.#o.idleProbeMs : this.probeMs);
    });
  }

  /** One probe round over every replica (exported for tests). */
  async probe(): Promise<void> {
    await Promise.all(
      this.#states.map((state, shard) => (state === undefined ? undefined : this.#probeOne(shard, state))),
    );
  }

  /**
   * Whether a read on `shard` may use its replica: with a token, only once the replica has replayed
   * that LSN; without, only while its lag is within the bounds. Down, stale or absent: no.
   */
  usable(shard: number, token: bigint | undefined): boolean {
    this.#askedAt = Date.now();
    if (this.#idle && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#tick();
    }
    const state = this.#states[shard];
    const staleAfterMs = this.probeMs * 3 + this.#o.connectTimeoutMs;
    if (state === undefined || !state.up || Date.now() - state.probedAt > staleAfterMs) return false;
    if (token !== undefined) return state.replayLsn >= token;
    if (!this.#o.tokenlessReads) return false;
    return state.lagMs <= this.#o.maxLagMs && state.lagBytes <= this.#o.maxLagBytes;
  }

  replicaPool(shard: number): pg.Pool | undefined {
    return this.#o.replicas[shard];
  }

  /** A read on the replica failed: skip it until a probe says it is back. */
  markDown(shard: number, err: unknown): void {
    const state = this.#states[shard];
    if (state === undefined || !state.up) return;
    state.up = false;
    this.#up.set({ shard: String(shard) }, 0);
    this.#log.warn({ err, shard }, 'replica read failed; reads go to the primary until the replica answers a probe');
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#probing;
  }

  async #probeOne(shard: number, state: ReplicaState): Promise<void> {
    const labels = { shard: String(shard) };
    const now = Date.now();
    try {
      // The primary first: a replay position read after it can only be newer, so the lag is never understated by the order.
      // Its replication settings come with it, in the same query: a switch at run time shows within a period.
      const primary = await this.#o.primaries[shard]!.query<{ lsn: string; names: string; commit: string }>(
        `SELECT pg_current_wal_lsn()::text AS lsn, current_setting('synchronous_standby_names') AS names,
                current_setting('synchronous_commit') AS commit`,
      );
      const mode = syncReplicationMode(primary.rows[0]!.names, primary.rows[0]!.commit);
      for (const m of SYNC_REPLICATION_MODES) this.#syncMode.set({ ...labels, mode: m }, m === mode ? 1 : 0);
      const primaryLsn = parseLsn(primary.rows[0]!.lsn);
      if (primaryLsn !== undefined && (state.samples.at(-1)?.lsn ?? -1n) < primaryLsn) {
        state.samples.push({ lsn: primaryLsn, at: now });
        if (state.samples.length > MAX_SAMPLES) state.samples.shift();
      }
    } catch (err) {
      // Primary down: the replica may still serve the reads it can; the lag keeps its last value.
      this.#log.debug({ err, shard }, 'primary WAL position probe failed');
    }
    try {
      const { rows } = await this.#o.replicas[shard]!.query<{ standby: boolean; replay: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay',
      );
      const replay = rows[0]?.replay == null ? undefined : parseLsn(rows[0].replay);
      // A promoted (or misconfigured) server is not a standby: reading it would bypass the tokens' meaning.
      if (rows[0]?.standby !== true || replay === undefined) throw new Error('not a streaming standby');
      const newest = state.samples.at(-1)?.lsn ?? replay;
      const behind = state.samples.find((s) => s.lsn > replay);
      state.samples = state.samples.filter((s) => s.lsn > replay || s === state.samples.at(-1));
      Object.assign(state, {
        replayLsn: replay,
        lagBytes: newest > replay ? Number(newest - replay) : 0,
        lagMs: behind === undefined ? 0 : Date.now() - behind.at,
        probedAt: Date.now(),
      });
      if (!state.up) this.#log.info({ shard }, 'replica is serving reads');
      state.up = true;
    } catch (err) {
      if (state.up) this.#log.warn({ err, shard }, 'replica probe failed; its reads go to the primary');
      state.up = false;
    }
    this.#probes.inc(labels);
    this.#up.set(labels, state.up ? 1 : 0);
    this.#lagBytes.set(labels, state.lagBytes);
    this.#lagSeconds.set(labels, state.lagMs / 1000);
  }
}

export function createReplicaMonitor(options: ReplicaMonitorOptions): ReplicaMonitor {
  return new ReplicaMonitor(options);
}
