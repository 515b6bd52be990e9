/** A node's health as drawn: a colour AND a word (never colour alone). */
export type Health = 'up' | 'degraded' | 'down' | 'unknown';

export const HEALTH_LABEL: Record<Health, string> = {
  up: 'UP',
  degraded: 'DEGRADED',
  down: 'DOWN',
  unknown: 'NO PROBE',
};

export interface TopoNode {
  readonly id: string;
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly health: Health;
  /** Why, in a few words (shown under the label and in the tooltip). */
  readonly detail: string;
}

export interface TopoEdge {
  readonly from: string;
  readonly to: string;
  /** Requests per second, when a series measures this edge. */
  readonly rate?: number;
  /** Failed requests per second (5xx or no answer). */
  readonly errorRate?: number;
}

/** Where each node sits in the SVG's 960 x 500 view box (columns: edge, lb, api, data; billing below). */
export const LAYOUT: Readonly<Record<string, readonly [number, number, string]>> = {
  gateway: [75, 190, 'gateway'],
  lb: [255, 190, 'lb'],
  'api-1': [445, 90, 'api-1'],
  'api-2': [445, 190, 'api-2'],
  'api-3': [445, 290, 'api-3'],
  'redis-cache': [710, 40, 'redis cache'],
  'pg-0': [710, 110, 'pg shard 0'],
  'pg-1': [710, 180, 'pg shard 1'],
  kafka: [710, 250, 'kafka'],
  etcd: [710, 320, 'etcd x3'],
  'redis-lock': [710, 390, 'lock redis x3'],
  'billing-leader-1': [255, 430, 'billing-1'],
  'billing-leader-2': [445, 430, 'billing-2'],
  payments: [880, 460, 'payments'],
};

const API_DEPS = ['redis-cache', 'pg-0', 'pg-1', 'kafka', 'etcd', 'redis-lock'];

/** The architecture's edges (docs/ARCHITECTURE.md), without rates. */
export const EDGES: readonly TopoEdge[] = [
  { from: 'gateway', to: 'lb' },
  ...['api-1', 'api-2', 'api-3'].flatMap((api) => [
    { from: 'lb', to: api },
    ...API_DEPS.map((dep) => ({ from: api, to: dep })),
  ]),
  ...['billing-leader-1', 'billing-leader-2'].flatMap((b) => [
    { from: b, to: 'etcd' },
    { from: b, to: 'pg-0' },
    { from: b, to: 'pg-1' },
    { from: b, to: 'payments' },
  ]),
];
