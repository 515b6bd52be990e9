import { API_NODES, inside, isRunning } from '@sdl/compose';

/** The api's public port inside the compose network, where each node serves its own /metrics. */
const API_PORT = 3000;

/** Each running api node's Prometheus text exposition, read from inside its container. */
export async function apiMetrics(): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const node of API_NODES) {
    if (!(await isRunning(node))) continue;
    const res = await inside(node, API_PORT, 'GET', '/metrics');
    if (res.status !== 200) throw new Error(`${node} /metrics: ${res.status}`);
    texts[node] = res.text;
  }
  return texts;
}

/**
 * A counter or gauge of one exposition, summed over its series that carry every label given
 * (`'op="account_get"'`). The nodes add `service` and `node` labels to every series.
 */
export function metricIn(exposition: string, name: string, labels: readonly string[] = []): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) || !labels.every((l) => line.includes(l))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** The labels of one exposition line, by name. */
export function labelsOf(line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)="([^"]*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}
