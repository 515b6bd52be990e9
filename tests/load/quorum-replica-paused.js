// GENERATED from gameday/experiments/quorum-replica-paused.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// A quorum store replica paused (N = 3, W = 2, R = 2).
// The game day's load and hypothesis for k6: `./lab load quorum-replica-paused --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday quorum-replica-paused` runs them); by hand, at their offsets:
//   at 10 s: pause redis-lock-1
//   at 25 s: unpause redis-lock-1
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['kv.write', 40],
    ['kv.read', 60],
  ],
  seedAccounts: 1,
  timeout: '15000ms',
});

export const options = {
  scenarios: {
    gameday: {
      executor: 'constant-arrival-rate',
      rate: 60,
      duration: '45s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 60,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.01'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
