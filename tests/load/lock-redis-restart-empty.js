// GENERATED from gameday/experiments/lock-redis-restart-empty.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// Lock Redis restarted empty, one by one (the Redlock restart hazard).
// The game day's load and hypothesis for k6: `./lab load lock-redis-restart-empty --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday lock-redis-restart-empty` runs them); by hand, at their offsets:
//   at 8 s: restart redis-lock-1
//   at 12 s: restart redis-lock-2
//   at 20 s: restart redis-lock-3
//   at 24 s: restart redis-lock-1
//   at 32 s: restart redis-lock-2
//   at 36 s: restart redis-lock-3
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['account.create', 25],
    ['post.create', 20],
    ['subscription.create', 5],
    ['account.read', 50],
  ],
  seedAccounts: 20,
  timeout: '15000ms',
});

export const options = {
  scenarios: {
    gameday: {
      executor: 'constant-arrival-rate',
      rate: 50,
      duration: '45s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 50,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.01'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
