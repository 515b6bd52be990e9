// GENERATED from gameday/experiments/cache-redis-down.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// The cache Redis down for 15 s.
// The game day's load and hypothesis for k6: `./lab load cache-redis-down --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday cache-redis-down` runs them); by hand, at their offsets:
//   at 10 s: kill redis-cache
//   at 25 s: start redis-cache
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key', 'lab-other-key'],
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
      rate: 100,
      duration: '45s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 100,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.001'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
