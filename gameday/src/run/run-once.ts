import type { KnobSetting } from '../experiment/overrides.js';
import type { Experiment, Rollback } from '../experiment/schema.js';
import { runTimeline, type Executor, type StepRecord } from '../faults/timeline.js';
import { startLoad, type LoadRun } from '../load/generator.js';
import { createClient } from '../load/http-client.js';
import { seed } from '../load/seed.js';
import { Workload } from '../load/workload.js';
import { billingExactlyOnce } from '../oracles/billing.js';
import { clusterHealthyAfter, crashRestartCounts } from '../oracles/cluster-healthy.js';
import { noAcknowledgedWriteLost } from '../oracles/acknowledged-writes.js';
import type { OracleResult } from '../oracles/oracle.js';
import { ledgerExactlyOnce } from '../oracles/ledger-exactly-once.js';
import { outboxPublished } from '../oracles/outbox-published.js';
import { rateLimitHeld } from '../oracles/rate-limit-held.js';
import {
  relayLockCounts,
  relayLockHolds,
  relayLockRestart,
  type RelayLockCounts,
} from '../oracles/relay-lock-restart.js';
import { accountReads, stampedeBounded } from '../oracles/stampede-bounded.js';
import { l1AbsorbedReads, l1Counts, type L1Counts } from '../oracles/l1-absorbed-reads.js';
import {
  penetrationBaseline,
  penetrationBounded,
  penetrationSnapshot,
  type PenetrationSnapshot,
} from '../oracles/penetration-bounded.js';
import { noStaleReads, staleReadsLabelled } from '../oracles/stale-reads.js';
import { quorumReadsFresh } from '../oracles/quorum-fresh.js';
import { faultIntervals, judgeSlo } from '../report/judge.js';
import type { RunReport } from '../report/model.js';

export interface RunOnceOptions {
  /** The gateway's published origin, e.g. http://127.0.0.1:8080. */
  readonly gateway: string;
  readonly label: string;
  /** Knobs set before the load and reset (value null) among the rollbacks. */
  readonly settings: readonly KnobSetting[];
  readonly executor: Executor;
  readonly signal: AbortSignal;
  /** Called about once a second while the load runs (the progress line). */
  readonly onTick?: (load: LoadRun) => void;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * One run: settings, seed, then the open-model load and the fault timeline together; the rollbacks
 * (always), then the oracles the hypothesis names, then the verdict per SLO. A step that failed or
 * an interruption makes the run "could not run", never a pass.
 */
export async function runOnce(experiment: Experiment, options: RunOnceOptions): Promise<RunReport> {
  const { load } = experiment;
  const client = createClient(options.gateway, { connections: load.maxInFlight, timeoutMs: load.timeoutMs });
  const workload = new Workload(load.mix, load.keys);
  // The file's settings, then the command line's (which win for the same knob).
  const pinned = new Set(options.settings.map((s) => s.knob));
  const settings: KnobSetting[] = [
    ...(experiment.settings ?? []).filter((s) => !pinned.has(s.knob)),
    ...options.settings,
  ];
  const settingSteps: Rollback[] = settings.map((s) => ({ action: 'knob', knob: s.knob, value: s.value }));
  const resets: Rollback[] = settings.map((s) => ({ action: 'knob', knob: s.knob, value: null }));
  const before: StepRecord[] = [];
  const wanted = new Set(experiment.hypothesis.invariants);
  let readsBefore = 0;
  let l1Before: Record<string, L1Counts> = {};
  let l1During: Promise<Record<string, L1Counts> | undefined> | undefined;
  let penetrationBefore: PenetrationSnapshot | undefined;
  let locksBefore: RelayLockCounts | undefined;
  let couldNotRun: string | undefined;
  let restartsBefore = new Map<string, number>();
  let run: LoadRun | undefined;
  let steps: StepRecord[] = [];
  try {
    for (const step of settingSteps) {
      await options.executor.run(step);
      before.push({ step, phase: 'method', dueMs: 0, firedMs: 0, endedMs: 0 });
    }
    await seed(workload, client, load.keys, load.seedAccounts);
    restartsBefore = await crashRestartCounts();
    if (wanted.has('stampede-bounded')) readsBefore = (await accountReads()).reads;
    if (wanted.has('l1-absorbed-reads')) l1Before = await l1Counts();
    // Once every node switched on has rebuilt its Bloom filters: the run judges the filter in force.
    if (wanted.has('penetration-bounded')) penetrationBefore = await penetrationBaseline();
    // After the settings: the lock Redis modes in force during the run (the rollbacks reset them).
    if (wanted.has('relay-lock-restart')) locksBefore = await relayLockCounts();
    run = startLoad(load, workload, client, options.signal);
    // Halfway through the load: the L1 policy and size in force (the rollbacks reset them before the oracle).
    if (wanted.has('l1-absorbed-reads'))
      l1During = new Promise((resolve) => setTimeout(resolve, load.durationS * 500))
        .then(() => l1Counts())
        .catch(() => undefined);
    const ticker = setInterval(() => options.onTick?.(run!), 1000);
    const timeline = runTimeline({
      method: experiment.method,
      rollbacks: [...experiment.rollbacks, ...resets],
      executor: options.executor,
      signal: options.signal,
      until: run.done,
      now: () => Date.now() - run!.startedAt,
    });
    const [, result] = await Promise.all([run.done, timeline]).finally(() => clearInterval(ticker));
    steps = [...before, ...result.records];
    const failed = result.records.filter((r) => r.error !== undefined);
    if (result.aborted) couldNotRun = 'interrupted';
    else if (failed.length > 0)
      couldNotRun = `${failed.length} step(s) failed: ${failed.map((r) => r.error).join('; ')}`;
  } catch (err) {
    couldNotRun = message(err);
    // The settings may be half applied: reset them (the timeline's rollbacks never ran).
    for (const reset of resets) await options.executor.run(reset).catch(() => undefined);
  }
  const invariants: OracleResult[] = [];
  if (run !== undefined) {
    // Before the other oracles: their read-backs would count as account reads.
    if (wanted.has('stampede-bounded')) {
      const after = await accountReads();
      const flushes = steps.filter((r) => r.phase === 'method' && 'knob' in r.step && r.step.knob === 'cache.flush');
      invariants.push(stampedeBounded(readsBefore, after.reads, after.nodes, flushes.length));
    }
    if (wanted.has('l1-absorbed-reads')) {
      const after = await l1Counts();
      invariants.push(l1AbsorbedReads(l1Before, after, (await l1During) ?? after));
    }
    if (penetrationBefore !== undefined) {
      const { notFoundAnswers } = await run.done;
      invariants.push(penetrationBounded(penetrationBefore, await penetrationSnapshot(), notFoundAnswers));
    }
    if (wanted.has('rate-limit-held')) invariants.push(rateLimitHeld((await run.done).spike));
    if (wanted.has('no-stale-reads')) {
      const done = await run.done;
      invariants.push(noStaleReads(done.staleAnswers, done.stats.total().read));
    }
    if (wanted.has('stale-reads-labelled')) {
      const done = await run.done;
      invariants.push(staleReadsLabelled(done.staleAnswers, done.stats.total().read));
    }
    if (wanted.has('quorum-reads-fresh')) invariants.push(quorumReadsFresh(workload.kvWrites, workload.kvReads));
    const healthy = await clusterHealthyAfter(experiment.hypothesis.healthyWithinS, restartsBefore);
    if (wanted.has('cluster-healthy-after')) invariants.push(healthy);
    if (locksBefore !== undefined) {
      const holds = await relayLockHolds(run.startedAt);
      invariants.push(relayLockRestart(locksBefore, await relayLockCounts(), holds));
    }
    if (wanted.has('no-acknowledged-write-lost'))
      invariants.push(await noAcknowledgedWriteLost(client, workload.writes));
    if (wanted.has('billing-exactly-once')) invariants.push(await billingExactlyOnce(client, workload.writes));
    if (wanted.has('outbox-no-loss')) invariants.push(await outboxPublished(workload.writes));
    if (wanted.has('ledger-exactly-once')) invariants.push(await ledgerExactlyOnce(workload.writes));
  }
  await cancelSubscriptions(client, workload);
  await client.close();
  const stats = run === undefined ? undefined : (await run.done).stats;
  const seconds = stats?.seconds() ?? [];
  const total = stats?.total() ?? { all: empty(), read: empty(), write: empty() };
  const durationS = load.durationS;
  return {
    label: options.label,
    settings,
    startedAt: new Date(run?.startedAt ?? Date.now()).toISOString(),
    durationS,
    seconds,
    total,
    skipped: run === undefined ? 0 : (await run.done).skipped,
    steps,
    faults: faultIntervals(steps, Math.max(durationS, seconds.length)),
    slos: experiment.hypothesis.slos.map((slo) => judgeSlo(slo, total[slo.class])),
    invariants,
    ...(couldNotRun === undefined ? {} : { couldNotRun }),
  };
}

/** Subscriptions bill every 10 s in compose for as long as they are active: end the run's own ones. */
async function cancelSubscriptions(client: ReturnType<typeof createClient>, workload: Workload): Promise<void> {
  for (const w of workload.writes) {
    if (w.kind !== 'subscription') continue;
    const path = `/v1/accounts/${w.accountId}/subscriptions/${w.id}/cancel`;
    await client.send({ operation: 'subscription.create', routeClass: 'write', key: w.key, method: 'POST', path });
  }
}

function empty() {
  return { sent: 0, ok: 0, failed: 0, failures: {}, p50Ms: 0, p99Ms: 0, maxMs: 0 };
}
