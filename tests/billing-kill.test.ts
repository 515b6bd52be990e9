import { describe, expect, it, vi } from 'vitest';
import {
  REPLICAS,
  expectBilledExactlyOnce,
  fewestCharges,
  leaderAmong,
  metric,
  replicaStatus,
  setBilling,
  subscribe,
  windDown,
  type Replica,
} from './support/billing.js';
import { chaos } from './support/lab.js';

const PERIOD_S = 2;
const SUBSCRIPTIONS = 50;
const PERIODS = 20;
const MAX_KILLS = 12;

// The classic story: a renewal must be charged by exactly one server while servers die. The
// leader is killed (SIGKILL, no resignation) again and again while 50 subscriptions bill 2 s
// periods; the provider's ledger is the oracle.
describe('billing while the leader is killed every few seconds', () => {
  it(
    `charges ${SUBSCRIPTIONS} subscriptions over ${PERIODS}+ periods: 0 double, 0 missed`,
    { timeout: 240_000 },
    async () => {
      const subs = await subscribe(SUBSCRIPTIONS, 'kill');
      await setBilling({ periodSeconds: PERIOD_S });
      let kills = 0;
      const tokens = new Set<bigint>();

      while ((await fewestCharges(subs)) < PERIODS && kills < MAX_KILLS) {
        const { replica: leader, token } = await leaderAmong();
        tokens.add(token);
        // Let the new leader charge, then kill it mid-work.
        await vi.waitFor(
          async () =>
            expect(await metric(leader, 3003, 'billing_charges_total', { outcome: 'succeeded' })).toBeGreaterThan(0),
          {
            timeout: 30_000,
            interval: 250,
          },
        );
        await chaos('kill', leader);
        kills += 1;
        const other = REPLICAS.find((r) => r !== leader) as Replica;
        expect((await leaderAmong([other])).replica).toBe(other);
        // The killed replica comes back as a follower with its environment; it gets the lab period
        // before it can lead again (only this test kills the leader).
        await chaos('start', leader);
        await vi.waitFor(async () => expect(await replicaStatus(leader)).toBeDefined(), {
          timeout: 60_000,
          interval: 500,
        });
        await setBilling({ periodSeconds: PERIOD_S }, [leader]);
      }

      expect(kills).toBeGreaterThanOrEqual(3);
      await vi.waitFor(async () => expect(await fewestCharges(subs)).toBeGreaterThanOrEqual(PERIODS), {
        timeout: 90_000,
        interval: 1000,
      });
      await windDown(subs);
      const { charges } = await expectBilledExactlyOnce(subs);
      expect(charges).toBeGreaterThanOrEqual(SUBSCRIPTIONS * PERIODS);
      expect(tokens.size).toBeGreaterThanOrEqual(3);
    },
  );
});
