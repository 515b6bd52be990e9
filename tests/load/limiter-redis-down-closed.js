// GENERATED from gameday/experiments/limiter-redis-down-closed.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// The rate limiter's Redis down, the limiter failing closed.
// The game day's load and hypothesis for k6: `./lab load limiter-redis-down-closed --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday limiter-redis-down-closed` runs them); by hand, at their offsets:
//   at 0 s: knob limiter.failMode=closed
//   at 10 s: stop redis-limiter
//   at 25 s: start redis-limiter
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['account.create', 10],
    ['account.read', 90],
  ],
  seedAccounts: 20,
  timeout: '15000ms',
});

export const options = {
  scenarios: {
    gameday: {
      executor: 'constant-arrival-rate',
      rate: 80,
      duration: '45s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 80,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.7'],
    'http_req_duration{scenario:gameday}': ['p(99)<=1000'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
