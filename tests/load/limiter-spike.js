// GENERATED from gameday/experiments/limiter-spike.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// One key spikes to 10x its limit while the other tenants go on.
// The game day's load and hypothesis for k6: `./lab load limiter-spike --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday limiter-spike` runs them); by hand, at their offsets:
//   (none)
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
      rate: 40,
      duration: '75s',
      timeUnit: '1s',
      gracefulStop: '15s',
      preAllocatedVUs: 40,
      maxVUs: 256,
    },
    spike: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1m',
      duration: '75s',
      preAllocatedVUs: 1,
      maxVUs: 4,
      gracefulStop: '15s',
      exec: 'spike',
    },
  },
  thresholds: {
    'http_req_failed{scenario:gameday}': ['rate<=0.001'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
// The spike stream: not in the thresholds (k6 has no per-window admission check; the game day judges it).
export const spike = () => workload.spike('lab-limited-key', '/v1/whoami');
