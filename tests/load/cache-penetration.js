// GENERATED from gameday/experiments/cache-penetration.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// Reads of ids that do not exist, with the Bloom filter on (cache penetration).
// The game day's load and hypothesis for k6: `./lab load cache-penetration --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday cache-penetration` runs them); by hand, at their offsets:
//   before the load: knob cache.flush=true
//   before the load: knob api.bloomFilter=on
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['account.read.missing', 50],
    ['account.read', 25],
    ['account.create', 10],
    ['post.create', 5],
    ['post.read', 10],
  ],
  seedAccounts: 20,
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
    'http_req_failed{class:read}': ['rate<=0.01'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
