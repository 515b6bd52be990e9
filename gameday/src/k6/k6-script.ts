import type { Experiment } from '../experiment/schema.js';

/**
 * k6 thresholds for the hypothesis's SLOs: `all` is every request of the scenario (k6 tags each
 * with `scenario`), `read`/`write` the requests the script tags with that class. k6's
 * `http_req_failed` counts a status outside 200-399 as failed, as the game day does (it also counts
 * 3xx: the API sends none).
 */
export function thresholdsOf(experiment: Experiment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const slo of experiment.hypothesis.slos) {
    const tag = slo.class === 'all' ? 'scenario:gameday' : `class:${slo.class}`;
    const add = (metric: string, rule: string) => (out[`${metric}{${tag}}`] ??= []).push(rule);
    add('http_req_failed', `rate<=${Number((1 - slo.successRatio).toPrecision(12))}`);
    if (slo.p99Ms !== undefined) add('http_req_duration', `p(99)<=${slo.p99Ms}`);
  }
  return out;
}

/** The k6 scenario for the load: open model, constant or ramping arrival rate over the run. */
export function scenarioOf(experiment: Experiment): Record<string, unknown> {
  const { rate, durationS, maxInFlight, timeoutMs } = experiment.load;
  // VUs are k6's in-flight cap: at most maxInFlight, as the built-in generator; k6 reports the
  // iterations it could not start as dropped_iterations.
  const peak = 'constant' in rate ? rate.constant : Math.max(rate.from, rate.to);
  const vus = { preAllocatedVUs: Math.min(maxInFlight, Math.ceil(peak)), maxVUs: maxInFlight };
  const base = { timeUnit: '1s', gracefulStop: `${Math.ceil(timeoutMs / 1000)}s`, ...vus };
  if ('constant' in rate) {
    return { executor: 'constant-arrival-rate', rate: rate.constant, duration: `${durationS}s`, ...base };
  }
  const stages = [{ target: rate.to, duration: `${durationS}s` }];
  return { executor: 'ramping-arrival-rate', startRate: rate.from, stages, ...base };
}

/** The scenarios: `gameday` (the mix), and `spike` (load.spike: one key at its own constant rate). */
export function scenariosOf(experiment: Experiment): Record<string, unknown> {
  const { spike, durationS, timeoutMs } = experiment.load;
  if (spike === undefined) return { gameday: scenarioOf(experiment) };
  const vus = Math.max(1, Math.ceil(spike.rate));
  // k6 takes whole iterations per time unit: per minute keeps a rate below 1/s.
  const perMinute = Math.max(1, Math.round(spike.rate * 60));
  const stream = { executor: 'constant-arrival-rate', rate: perMinute, timeUnit: '1m', duration: `${durationS}s` };
  const limits = { preAllocatedVUs: vus, maxVUs: 4 * vus, gracefulStop: `${Math.ceil(timeoutMs / 1000)}s` };
  return { gameday: scenarioOf(experiment), spike: { ...stream, ...limits, exec: 'spike' } };
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** tests/load/NAME.js: the experiment's workload and hypothesis as a k6 script (faults not included). */
export function k6Script(name: string, experiment: Experiment): string {
  const { load } = experiment;
  const spike =
    load.spike === undefined
      ? ''
      : `// The spike stream: not in the thresholds (k6 has no per-window admission check; the game day judges it).
export const spike = () => workload.spike(${JSON.stringify(load.spike.key)}, ${JSON.stringify(load.spike.path)});
`;
  const before = (experiment.settings ?? []).map((s) => `//   before the load: knob ${s.knob}=${String(s.value)}`);
  const faults = experiment.method.map(
    (s) =>
      `//   at ${s.at} s: ${s.action === 'knob' ? `knob ${s.knob}=${String(s.value)}` : `${s.action} ${s.service}${s.network ? ` ${s.network}` : ''}`}`,
  );
  return `// GENERATED from gameday/experiments/${name}.yaml (and infra/slo/slos.yaml for named SLOs)
// by \`node gameday/dist/generate-files.js\`: do not edit (gameday/test/generated-files.test.ts).
// ${experiment.title}.
// The game day's load and hypothesis for k6: \`./lab load ${name} --k6\` runs it in the grafana/k6 image.
// The faults are not part of it (\`./lab gameday ${name}\` runs them); by hand, at their offsets:
${faults.length + before.length > 0 ? [...before, ...faults].join('\n') : '//   (none)'}
/* global __ENV */
import { createWorkload } from './lib/workload.js';

const workload = createWorkload({
  baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:8080',
  keys: ${JSON.stringify(load.keys)},
  mix: ${JSON.stringify(Object.entries(load.mix))},
  seedAccounts: ${load.seedAccounts},
  timeout: '${load.timeoutMs}ms',
});

export const options = {
  scenarios: ${json(scenariosOf(experiment))},
  thresholds: ${json(thresholdsOf(experiment))},
};

export const setup = () => workload.setup();
export default (tenants) => workload.iteration(tenants);
${spike}`;
}
