import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@sdl/logging';
import type { BillingWork } from '../billing/billing-work.js';

/** What the loop asks before every tick: the lease clock, not the last event, is the authority. */
export interface LeaseView {
  readonly isLeader: boolean;
  readonly token: bigint | undefined;
}

export interface LeaderLoopOptions {
  readonly lease: LeaseView;
  readonly work: BillingWork;
  readonly tickMs: number;
  readonly logger: Logger;
  /** Called for every tick the loop acts on (metrics). */
  readonly onTick?: () => void;
}

export interface LeaderLoop {
  /** Runs `work` every tickMs with `token` until stop(); a running loop is stopped first. */
  start(token: bigint): void;
  /** Aborts the current tick's signal at once; resolves when the loop has returned. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * The leader's work loop. Ticks never overlap (one runOnce at a time); a tick is skipped, not
 * run, whenever the campaign no longer vouches for the token it was started with, even before
 * the `demoted` event arrives.
 */
export function createLeaderLoop(options: LeaderLoopOptions): LeaderLoop {
  const { lease, work, tickMs, onTick } = options;
  const log = options.logger.child({ component: 'leader-loop' });
  let current: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;

  const run = async (token: bigint, signal: AbortSignal): Promise<void> => {
    log.info({ token: String(token), tickMs }, 'leader loop started');
    while (!signal.aborted) {
      if (lease.isLeader && lease.token === token) {
        onTick?.();
        try {
          await work.runOnce(token, signal);
        } catch (err) {
          if (!signal.aborted) log.error({ err, token: String(token) }, 'leader tick failed');
        }
      } else {
        log.debug({ token: String(token) }, 'not leading with this token; tick skipped');
      }
      await sleep(tickMs, undefined, { signal }).catch(() => undefined);
    }
    log.info({ token: String(token) }, 'leader loop stopped');
  };

  const stop = async (): Promise<void> => {
    const stopping = current;
    current = undefined;
    if (stopping === undefined) return;
    stopping.abort.abort(new Error('leader loop stopped'));
    await stopping.done;
  };

  return {
    start(token) {
      void stop();
      const abort = new AbortController();
      current = { abort, done: run(token, abort.signal) };
    },
    stop,
    get running() {
      return current !== undefined;
    },
  };
}
