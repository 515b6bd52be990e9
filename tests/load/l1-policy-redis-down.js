// GENERATED from gameday/experiments/l1-policy-redis-down.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// The cache Redis down under skewed reads; each api node's L1 and its eviction policy in front of Postgres.
// The game day's load and hypothesis for k6: `./lab load l1-policy-redis-down --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday l1-policy-redis-down` runs them); by hand, at their offsets:
//   before the load: knob api.cacheL1Entries=10
//   before the load: knob api.cacheL1TtlMs=60000
//   at 2 s: kill redis-cache
//   at 54 s: start redis-cache
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [['account.read.zipf', 100]],
  seedAccounts: 200,
  timeout: '15000ms',
});

export const options = {
  scenarios: {
    gameday: {
      executor: 'constant-arrival-rate',
      rate: 100,
      duration: '60s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 100,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.01'],
    'http_req_duration{scenario:gameday}': ['p(99)<=3000'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
