import { EventEmitter } from 'node:events';
import type { Campaign, Coordinator, DemotionReason } from '@sdl/coord';
import type { BillingWork } from '../../src/billing/billing-work.js';
import type { Election } from '../../src/election/leadership.js';

/** An election driven by hand: elect(), demote(), and a lease clock that can lapse silently. */
export class FakeElection extends EventEmitter<{ elected: [bigint]; demoted: [DemotionReason] }> implements Election {
  leading = false;
  clockValid = true;
  current: bigint | undefined;
  leaderName: string | undefined;
  leaderError: Error | undefined;
  resigned = 0;

  get isLeader(): boolean {
    return this.leading && this.clockValid;
  }

  get token(): bigint | undefined {
    return this.isLeader ? this.current : undefined;
  }

  async leader(): Promise<string | undefined> {
    if (this.leaderError !== undefined) throw this.leaderError;
    return this.leaderName;
  }

  async resign(): Promise<void> {
    this.resigned++;
    this.demote('resigned');
  }

  elect(token: bigint, name = 'me'): void {
    this.leading = true;
    this.current = token;
    this.leaderName = name;
    this.emit('elected', token);
  }

  demote(reason: DemotionReason): void {
    if (!this.leading) return;
    this.leading = false;
    this.emit('demoted', reason);
  }
}

/** A coordinator whose campaign() hands out one FakeElection; ping fails while `down`. */
export function fakeCoordinator(election: FakeElection): Coordinator & { down: boolean; closed: number } {
  const fake = {
    down: false,
    closed: 0,
    register: () => Promise.reject(new Error('not used')),
    watchPrefix: () => Promise.reject(new Error('not used')),
    campaign: () => election as unknown as Campaign,
    get: async () => undefined,
    put: async () => undefined,
    compareAndPut: async () => false,
    async ping() {
      if (fake.down) throw new Error('connect ECONNREFUSED');
    },
    async close() {
      fake.closed++;
    },
  };
  return fake;
}

/** Work that records each call and, while `blockUntilAbort`, holds the tick until its signal aborts. */
export function recordingWork(): BillingWork & {
  calls: bigint[];
  aborted: number;
  blockUntilAbort: boolean;
} {
  const work = {
    calls: [] as bigint[],
    aborted: 0,
    blockUntilAbort: false,
    async runOnce(token: bigint, signal: AbortSignal) {
      work.calls.push(token);
      if (!work.blockUntilAbort) return;
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      work.aborted++;
    },
  };
  return work;
}
