/** The cluster from the host: only ports published on 127.0.0.1. */
export const GATEWAY = `http://127.0.0.1:${process.env.GATEWAY_PORT ?? '8080'}`;
export const PROMETHEUS = `http://127.0.0.1:${process.env.PROMETHEUS_PORT ?? '9090'}`;
export const DEMO_KEY = 'lab-demo-key';
export const LIMITED_KEY = 'lab-limited-key';
/** A key of another tenant (`other` in docker-compose.yml API_KEYS): it must never see demo's accounts. */
export const OTHER_KEY = 'lab-other-key';

export interface CallResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** One request through the gateway (API key `lab-demo-key` unless `key` says otherwise). */
export async function call(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? DEMO_KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${GATEWAY}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: keep text
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** An instant Prometheus query; returns the result vector. */
export async function promQuery(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(query)}`);
  const json = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return json.data.result;
}
