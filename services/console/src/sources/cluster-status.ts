/** One source's answer this round: its value, or why it could not be read. */
export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** A host as `GET /admin/lb` shows it (services/lb/README.md). */
export interface LbHost {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly healthy: boolean;
  readonly inflight: number;
  readonly consecutiveFailures?: number;
  readonly registeredWeight?: number;
  readonly effectiveWeight?: number;
  readonly ejected?: boolean;
  readonly ejections?: number;
}

export interface LbState {
  readonly strategy: string;
  readonly hashKey: string;
  readonly panicking: boolean;
  readonly hosts: readonly LbHost[];
}

/** A billing replica's `GET /v1/status`. */
export interface BillingStatus {
  readonly node: string;
  readonly leader: boolean;
  readonly leaderNode: string | null;
  readonly token: string | null;
  readonly since: string | null;
}

/** The payments provider's fault flags (`GET /admin/faults`). */
export type FaultFlags = Readonly<Record<string, number>>;

/** A rule as the ratelimiter's `GET /admin/rules` lists it (services/ratelimiter/README.md). */
export interface LimiterRule {
  readonly name: string;
  readonly algorithm: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly burst?: number;
  readonly cost: number;
  readonly shadow: boolean;
  /** What the rule answers while the limiter's Redis fails: its own, or the run-time default. */
  readonly failMode: 'open' | 'closed';
  readonly failModeFrom: 'rule' | 'default';
  readonly key: readonly string[];
  readonly match: Readonly<Record<string, string>>;
}

/** The ratelimiter's rules in force, in evaluation order. */
export interface LimiterRules {
  readonly source: 'file' | 'limits';
  readonly failMode: 'open' | 'closed';
  readonly rules: readonly LimiterRule[];
}

/** A partition move an api node runs from its admin listener (`GET /admin/partition-moves`). */
export interface PartitionMove {
  readonly id: number;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly startedAt: string;
  readonly state: 'running' | 'done' | 'failed';
  readonly finishedAt?: string;
  readonly report?: { readonly fenceMs: number; readonly totalMs: number };
  readonly error?: { readonly code: string; readonly message: string };
}

/** The shard map as etcd holds it (`/sdl/shard-map`). */
export interface StoredShardMap {
  readonly version: number;
  readonly assignments: readonly number[];
  readonly updatedAt: string;
  readonly reason: string;
}

/** One Prometheus sample of an instant vector. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A leader seen by the console (kept since it started, newest last). */
export interface LeaderTerm {
  readonly node: string;
  readonly token: string | null;
  readonly since: string | null;
}

/** An action taken from the page, as logged. */
export interface ActionRecord {
  readonly at: string;
  readonly action: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Everything read in one round, plus what the console remembers between rounds. */
export interface ClusterStatus {
  readonly at: string;
  readonly lb: Read<LbState>;
  readonly billing: readonly { readonly url: string; readonly status: Read<BillingStatus> }[];
  readonly faults: Read<FaultFlags>;
  readonly limiterRules: Read<LimiterRules>;
  /** Each api node's admin listener: the partition moves it started. */
  readonly moves: readonly { readonly url: string; readonly moves: Read<{ moves: readonly PartitionMove[] }> }[];
  readonly shardMap: Read<StoredShardMap | undefined>;
  /** api registrations in etcd: node id -> registered url. */
  readonly registrations: Read<Readonly<Record<string, string>>>;
  /** Named Prometheus queries (see prometheus-queries.ts) -> their samples. */
  readonly metrics: Read<Readonly<Record<string, readonly Sample[]>>>;
  readonly leaderHistory: readonly LeaderTerm[];
  /** Partitions whose shard changed in the last map change the console saw. */
  readonly movedPartitions: readonly number[];
  readonly actions: readonly ActionRecord[];
}
