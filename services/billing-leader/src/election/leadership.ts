import type { DemotionReason } from '@sdl/coord';
import type { Logger } from '@sdl/logging';
import { Counter, Gauge, type Registry } from '@sdl/metrics';
import type { BillingWork } from '../billing/billing-work.js';
import { createLeaderLoop, type LeaseView } from './leader-loop.js';

/** The part of @sdl/coord's Campaign this service uses (a fake stands in for it in unit tests). */
export interface Election {
  readonly isLeader: boolean;
  readonly token: bigint | undefined;
  leader(): Promise<string | undefined>;
  resign(): Promise<void>;
  on(event: 'elected', listener: (token: bigint) => void): unknown;
  on(event: 'demoted', listener: (reason: DemotionReason) => void): unknown;
}

export interface LeaderStatus {
  readonly node: string;
  readonly leader: boolean;
  readonly leaderNode: string | null;
  readonly token: string | null;
  readonly since: string | null;
}

export interface LeadershipOptions {
  /** Joins the election; called once, by start(). */
  readonly campaign: () => Election;
  readonly work: BillingWork;
  readonly nodeId: string;
  readonly tickMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** How long status() waits for etcd to name the leader before answering null (default 1000 ms). */
  readonly leaderLookupMs?: number;
  /** How long shutdown() waits for the resignation to reach etcd (default 3000 ms). */
  readonly resignWaitMs?: number;
}

export interface Leadership {
  /** Starts campaigning (idempotent). */
  start(): void;
  status(): Promise<LeaderStatus>;
  /** Stops the loop, then resigns so another replica leads at once. */
  shutdown(): Promise<void>;
}

// Resolves with undefined instead of waiting past `ms` (etcd frozen or partitioned).
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects the election to the leader loop and to the metrics; answers /v1/status. */
export function createLeadership(options: LeadershipOptions): Leadership {
  const { registry, nodeId } = options;
  let election: Election | undefined;
  const log = options.logger.child({ component: 'leadership' });
  const registers = [registry];
  new Gauge({
    name: 'billing_leader_is_leader',
    help: '1 while this replica leads (lease clock still valid), else 0',
    registers,
    collect() {
      this.set(election?.isLeader === true ? 1 : 0);
    },
  });
  new Gauge({
    name: 'billing_leader_fencing_token',
    help: 'Fencing token (leader key create revision) while leading, else 0',
    registers,
    collect() {
      this.set(Number(election?.token ?? 0n));
    },
  });
  const elections = new Counter({
    name: 'billing_leader_elections_total',
    help: 'Times this replica was elected',
    registers,
  });
  const demotions = new Counter({
    name: 'billing_leader_demotions_total',
    help: 'Times this replica stopped leading, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const ticks = new Counter({ name: 'billing_leader_ticks_total', help: 'Leader loop ticks acted on', registers });

  // The loop asks the election itself before every tick, never a flag cached from its events.
  const lease: LeaseView = {
    get isLeader() {
      return election?.isLeader === true;
    },
    get token() {
      return election?.token;
    },
  };
  const loop = createLeaderLoop({
    lease,
    work: options.work,
    tickMs: options.tickMs,
    logger: options.logger,
    onTick: () => ticks.inc(),
  });
  let since: Date | undefined;

  const join = (): Election => {
    const joined = options.campaign();
    joined.on('elected', (token) => {
      elections.inc();
      since = new Date();
      log.info({ token: String(token) }, 'leading billing');
      loop.start(token);
    });
    joined.on('demoted', (reason) => {
      // Abort first: the work must not outlive the leadership by even one tick.
      void loop.stop();
      since = undefined;
      demotions.inc({ reason });
      log.warn({ reason }, 'stopped leading billing');
    });
    return joined;
  };

  return {
    start() {
      election ??= join();
    },
    async status() {
      if (election === undefined) return { node: nodeId, leader: false, leaderNode: null, token: null, since: null };
      const token = election.token;
      const leaderNode = await within(
        election.leader().catch((err: unknown) => {
          // debug: status is polled, and readiness already reports etcd being away.
          log.debug({ err }, 'could not read the leader from etcd');
          return undefined;
        }),
        options.leaderLookupMs ?? 1000,
      );
      return {
        node: nodeId,
        leader: token !== undefined,
        leaderNode: leaderNode ?? null,
        token: token === undefined ? null : String(token),
        since: token === undefined || since === undefined ? null : since.toISOString(),
      };
    },
    async shutdown() {
      await loop.stop();
      if (election === undefined) return;
      const resigned = await within(
        election.resign().then(() => true),
        options.resignWaitMs ?? 3000,
      );
      if (resigned === undefined) log.warn('resignation did not reach etcd in time; the lease will lapse');
      else log.info('resigned');
    },
  };
}
