// GENERATED from gameday/experiments/kafka-consumer-kill.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// A member of a work-sharing consumer group killed mid-stream.
// The game day's load and hypothesis for k6: `./lab load kafka-consumer-kill --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday kafka-consumer-kill` runs them); by hand, at their offsets:
//   at 15 s: kill api-2
//   at 35 s: start api-2
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
    'http_req_failed{scenario:gameday}': ['rate<=0.01'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
