// GENERATED from gameday/experiments/hot-key-stampede.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// A hot key's cache entry dropped again and again under load (stampede).
// The game day's load and hypothesis for k6: `./lab load hot-key-stampede --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday hot-key-stampede` runs them); by hand, at their offsets:
//   at 5 s: knob cache.flush=true
//   at 10 s: knob cache.flush=true
//   at 15 s: knob cache.flush=true
//   at 20 s: knob cache.flush=true
//   at 25 s: knob cache.flush=true
//   at 30 s: knob cache.flush=true
//   at 35 s: knob cache.flush=true
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [['account.read.hot', 100]],
  seedAccounts: 1,
  timeout: '15000ms',
});

export const options = {
  scenarios: {
    gameday: {
      executor: 'constant-arrival-rate',
      rate: 150,
      duration: '40s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 150,
      maxVUs: 256,
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.001'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
