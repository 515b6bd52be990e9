import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@sdl/errors';
import type { Logger } from '@sdl/logging';
import { retry } from '@sdl/retry';
import type pg from 'pg';
import type { BillingWork } from './billing-work.js';
import { BillingErrors } from '../errors.js';
import type { ShardPrimaries } from '../shards/shard-primaries.js';
import type { BillingMetrics } from './billing-metrics.js';
import type { BillingSettingsStore } from './billing-settings.js';
import { createCharge, dueBacklog, listDue, listPending, settleCharge, type ChargeRow } from './charge-rows.js';
import { advanceFence, fencedTransaction } from './fenced-transaction.js';
import type { ProviderAnswer, ProviderClient } from './provider-client.js';
import { createWorkPool } from './work-pool.js';

export interface ChargeWorkOptions {
  readonly shards: ShardPrimaries;
  readonly provider: ProviderClient;
  readonly settings: BillingSettingsStore;
  readonly metrics: BillingMetrics;
  readonly logger: Logger;
  /** Rows per query (due subscriptions, pending charges). */
  readonly batch: number;
  /** Charges in progress at once over all shards. */
  readonly concurrency: number;
  /** Provider calls per charge and tick (the first included). */
  readonly providerAttempts: number;
  /** Backoff between provider attempts, ms (defaults 200 and 2000). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Rounds of due queries per shard and tick, so one tick ends even under a flood (default 20). */
  readonly maxRounds?: number;
}

// A provider answer that leaves the charge unsettled: thrown to make `retry` try again.
class Unsettled {
  constructor(readonly answer: ProviderAnswer) {}
}

type Tick = {
  readonly token: bigint;
  readonly signal: AbortSignal;
  /** Partitions this tick found moved away, per shard: left out of the following queries. */
  readonly moved: Map<number, number[]>;
  readonly stop: AbortController;
};

/**
 * The leader's work: charges every due period of every shard exactly once, derived from the
 * database at every tick (never from timers in memory), so a new leader neither skips nor repeats
 * a period. Per shard: advance the fence, finish pending charges left behind (same key), then
 * charge due subscriptions, oldest first, each period in one fenced transaction, then the
 * provider call with the charge's idempotency key, then the fenced settlement.
 */
export function createChargeWork(options: ChargeWorkOptions): BillingWork {
  const { shards, provider, settings, metrics, batch } = options;
  const log = options.logger.child({ component: 'billing' });
  const pool = createWorkPool(options.concurrency);
  // Charges this replica is working on: a pending one is not picked up twice by overlapping work.
  const inFlight = new Set<string>();
  // The newest token a fence refused: this replica never acts with it (or an older one) again.
  let fencedOut: bigint | undefined;

  const rejected = (tick: Tick, shard: number): void => {
    metrics.fenceRejections.inc({ shard: String(shard) });
    metrics.charges.inc({ outcome: 'rejected' });
    if (fencedOut === undefined || tick.token > fencedOut) {
      fencedOut = tick.token;
      log.warn({ token: String(tick.token), shard }, 'fenced out: a newer leader wrote to this shard; stop acting');
    }
    tick.stop.abort(new AppError(BillingErrors.staleLeader));
  };

  // Every task ends here: a moved partition is left to its new shard, a stale token stops the tick.
  const guarded = async (tick: Tick, shard: number, partition: number, task: () => Promise<void>): Promise<void> => {
    try {
      await task();
    } catch (err) {
      const code = err instanceof AppError ? err.code : undefined;
      // Counted even after a demotion: a write that was already on its way met a newer fence.
      if (code === BillingErrors.staleLeader.code) {
        rejected(tick, shard);
        return;
      }
      if (tick.signal.aborted) return;
      if (code === BillingErrors.partitionMoved.code) {
        metrics.charges.inc({ outcome: 'moved' });
        const moved = tick.moved.get(shard) ?? [];
        if (!moved.includes(partition)) moved.push(partition);
        tick.moved.set(shard, moved);
      } else {
        log.warn({ err, shard, partition }, 'charge step failed; the next tick retries it');
      }
    }
  };

  // The lab fault `writeStallMs`: a pause between the leader's last check and its write reaching
  // the database, which (unlike everything else here) does not listen to the abort signal.
  const stall = async (): Promise<void> => {
    const { writeStallMs } = settings.current();
    if (writeStallMs > 0) await sleep(writeStallMs);
  };

  const callProvider = async (charge: ChargeRow, signal: AbortSignal): Promise<ProviderAnswer> => {
    try {
      return await retry(
        async () => {
          const answer = await provider.charge(charge, signal);
          if (answer.kind === 'retriable') throw new Unsettled(answer);
          return answer;
        },
        {
          attempts: options.providerAttempts,
          signal,
          minMs: options.retryMinMs ?? 200,
          maxMs: options.retryMaxMs ?? 2000,
          shouldRetry: (err) => err instanceof Unsettled,
        },
      );
    } catch (err) {
      if (err instanceof Unsettled) return err.answer;
      throw err;
    }
  };

  const settle = async (tick: Tick, shard: number, db: pg.Pool, charge: ChargeRow): Promise<void> => {
    if (inFlight.has(charge.id)) return;
    inFlight.add(charge.id);
    try {
      const answer = await callProvider(charge, tick.signal);
      if (answer.kind === 'retriable') {
        metrics.charges.inc({ outcome: 'left_pending' });
        log.info(
          { chargeId: charge.id, key: charge.idempotencyKey, code: answer.code },
          'provider unsettled; stays pending',
        );
        return;
      }
      // Demoted while the provider answered: the next leader settles it with the same key.
      if (tick.signal.aborted) return;
      await stall();
      const settlement =
        answer.kind === 'charged'
          ? ({ status: 'succeeded', providerChargeId: answer.providerChargeId } as const)
          : ({ status: 'failed', failureCode: answer.code } as const);
      const { value: settled, stale } = await fencedTransaction(
        db,
        charge.partition,
        tick.token,
        settings.current().fencing,
        (client) => settleCharge(client, charge.id, tick.token, settlement),
      );
      if (!settled) {
        metrics.charges.inc({ outcome: 'skipped' });
        return;
      }
      if (stale) metrics.staleWrites.inc({ shard: String(shard) });
      metrics.charges.inc({ outcome: settlement.status });
      metrics.lastCharge.set(Date.now() / 1000);
      if (settlement.status === 'failed')
        log.warn({ chargeId: charge.id, code: settlement.failureCode }, 'charge failed');
    } finally {
      inFlight.delete(charge.id);
    }
  };

  const chargeDue = async (tick: Tick, shard: number, db: pg.Pool, subscriptionId: string, partition: number) => {
    if (tick.signal.aborted) return false;
    await stall();
    const { periodSeconds, fencing } = settings.current();
    const { value: charge, stale } = await fencedTransaction(db, partition, tick.token, fencing, (client) =>
      createCharge(client, subscriptionId, tick.token, periodSeconds),
    );
    if (charge === undefined) {
      metrics.charges.inc({ outcome: 'skipped' });
      return false;
    }
    if (stale) metrics.staleWrites.inc({ shard: String(shard) });
    metrics.charges.inc({ outcome: 'created' });
    metrics.chargeDelay.observe(Math.max(0, charge.delaySeconds));
    await settle(tick, shard, db, charge);
    return true;
  };

  const runShard = async (tick: Tick, shard: number): Promise<void> => {
    if (!(await shards.hasSchema(shard))) {
      log.debug({ shard }, 'shard not migrated yet; skipped');
      return;
    }
    const db = shards.pool(shard);
    if ((await advanceFence(db, tick.token)) && settings.current().fencing === 'on') {
      rejected(tick, shard);
      return;
    }
    const backlog = await dueBacklog(db);
    metrics.dueBacklog.set({ shard: String(shard) }, backlog.due);
    metrics.oldestDueAge.set({ shard: String(shard) }, backlog.oldestAgeSeconds);

    const moved = (): number[] => tick.moved.get(shard) ?? [];
    const pending = await listPending(db, batch, settings.current().pendingRetryAfterMs, moved());
    await Promise.all(
      pending
        .filter((charge) => !inFlight.has(charge.id))
        .map((charge) => pool.run(() => guarded(tick, shard, charge.partition, () => settle(tick, shard, db, charge)))),
    );
    for (let round = 0; round < (options.maxRounds ?? 20) && !tick.signal.aborted; round++) {
      const due = await listDue(db, batch, moved());
      if (due.length === 0) break;
      let progressed = false;
      await Promise.all(
        due.map((sub) =>
          pool.run(() =>
            guarded(tick, shard, sub.partition, async () => {
              if (await chargeDue(tick, shard, db, sub.id, sub.partition)) progressed = true;
            }),
          ),
        ),
      );
      // Only rows other transactions hold (or moved partitions) are left: the next tick sees them.
      if (!progressed) break;
    }
  };

  return {
    async runOnce(token, signal) {
      if (signal.aborted || (fencedOut !== undefined && token <= fencedOut)) return;
      const stop = new AbortController();
      const tick: Tick = { token, signal: AbortSignal.any([signal, stop.signal]), moved: new Map(), stop };
      await Promise.all(
        Array.from({ length: shards.count }, (_, shard) =>
          runShard(tick, shard).catch((err: unknown) => {
            if (!tick.signal.aborted) log.warn({ err, shard }, 'billing tick failed on this shard');
          }),
        ),
      );
    },
  };
}
