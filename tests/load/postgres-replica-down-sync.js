// GENERATED from gameday/experiments/postgres-replica-down-sync.yaml (and infra/slo/slos.yaml for named SLOs)
// by `node gameday/dist/generate-files.js`: do not edit (gameday/test/generated-files.test.ts).
// A Postgres replica down, its shard replicating synchronously.
// The game day's load and hypothesis for k6: `./lab load postgres-replica-down-sync --k6` runs it in the grafana/k6 image.
// The faults are not part of it (`./lab gameday postgres-replica-down-sync` runs them); by hand, at their offsets:
//   at 0 s: knob shard0.syncMode=on
//   at 10 s: stop pg-0-replica
//   at 30 s: start pg-0-replica
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ['lab-demo-key'],
  mix: [
    ['account.create', 10],
    ['post.create', 10],
    ['account.read', 50],
    ['post.read', 30],
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
    'http_req_failed{scenario:gameday}': ['rate<=0.6'],
  },
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
