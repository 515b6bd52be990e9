// GENERATED from gameday/experiments/partition-shard-primary-cut-available.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// A shard's primary cut off the network (CAP, availability first).
// The game day's load and hypothesis for k6: `./lab load partition-shard-primary-cut-available --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday partition-shard-primary-cut-available` runs them); by hand, at their offsets:
//   before the load: knob api.partitionMode=availability
//   at 10 s: disconnect pg-1-primary
//   at 11 s: knob cache.flush=true
//   at 25 s: connect pg-1-primary
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['account.create', 20],
    ['account.read', 40],
    ['post.read', 40],
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
    'http_req_failed{scenario:gameday}': ['rate<=0.25'],
    'http_req_duration{scenario:gameday}': ['p(99)<=8000'],
    'http_req_failed{class:read}': ['rate<=0.1'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
