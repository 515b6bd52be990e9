// GENERATED from gameday/experiments/billing-leader-pause.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// The billing leader paused past 2 x TTL.
// The game day's load and hypothesis for k6: `./lab load billing-leader-pause --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday billing-leader-pause` runs them); by hand, at their offsets:
//   at 10 s: pause billing-leader-1
//   at 20 s: unpause billing-leader-1
//   at 30 s: pause billing-leader-2
//   at 40 s: unpause billing-leader-2
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['account.create', 20],
    ['subscription.create', 10],
    ['account.read', 70],
  ],
  seedAccounts: 20,
  timeout: '15000ms',
});

export const options = {
  scenarios: {
    gameday: {
      executor: 'constant-arrival-rate',
      rate: 40,
      duration: '60s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 40,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.001'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
