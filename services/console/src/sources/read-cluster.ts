import type {
  BillingStatus,
  FaultFlags,
  LbState,
  LimiterRules,
  PartitionMove,
  Read,
  Sample,
} from './cluster-status.js';
import { describeError, requestJson } from './http-json.js';
import { PROMETHEUS_QUERIES, type MetricName } from './prometheus-queries.js';

export interface ReadTargets {
  readonly lbAdminUrl: string;
  readonly billingUrls: readonly string[];
  readonly apiAdminUrls: readonly string[];
  readonly paymentsAdminUrl: string;
  readonly ratelimiterUrl: string;
  readonly prometheusUrl: string;
  readonly timeoutMs: number;
}

async function read<T>(load: () => Promise<unknown>): Promise<Read<T>> {
  try {
    return { ok: true, value: (await load()) as T };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

interface PromAnswer {
  readonly data: { readonly result: readonly { metric: Record<string, string>; value: [number, string] }[] };
}

async function queryPrometheus(t: ReadTargets): Promise<Record<MetricName, Sample[]>> {
  const names = Object.keys(PROMETHEUS_QUERIES) as MetricName[];
  const answers = await Promise.all(
    names.map(async (name) => {
      const url = `${t.prometheusUrl}/api/v1/query?query=${encodeURIComponent(PROMETHEUS_QUERIES[name])}`;
      const answer = (await requestJson(url, t.timeoutMs)) as PromAnswer;
      const samples = answer.data.result.map(({ metric, value }) => {
        const { __name__: _name, ...labels } = metric;
        return { labels, value: Number(value[1]) };
      });
      return [name, samples.filter((s) => Number.isFinite(s.value))] as const;
    }),
  );
  return Object.fromEntries(answers) as Record<MetricName, Sample[]>;
}

/** One round of the HTTP sources, all at once, each bounded by the timeout; a failure is a value. */
export async function readHttpSources(t: ReadTargets) {
  const [lb, billing, faults, limiterRules, moves, metrics] = await Promise.all([
    read<LbState>(() => requestJson(`${t.lbAdminUrl}/admin/lb`, t.timeoutMs)),
    Promise.all(
      t.billingUrls.map(async (url) => ({
        url,
        status: await read<BillingStatus>(() => requestJson(`${url}/v1/status`, t.timeoutMs)),
      })),
    ),
    read<FaultFlags>(() => requestJson(`${t.paymentsAdminUrl}/admin/faults`, t.timeoutMs)),
    read<LimiterRules>(() => requestJson(`${t.ratelimiterUrl}/admin/rules`, t.timeoutMs)),
    Promise.all(
      t.apiAdminUrls.map(async (url) => ({
        url,
        moves: await read<{ moves: readonly PartitionMove[] }>(() =>
          requestJson(`${url}/admin/partition-moves`, t.timeoutMs),
        ),
      })),
    ),
    read<Record<MetricName, Sample[]>>(() => queryPrometheus(t)),
  ]);
  return { lb, billing, faults, limiterRules, moves, metrics };
}
