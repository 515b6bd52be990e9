import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_MAGLEV_SIZE } from '@sdl/hashing';
import { DEFAULT_HASH_KEY, parseHashKey } from './hash-key.js';
import {
  createBoundedLoad,
  createIpHash,
  createMaglevHash,
  createRendezvousHash,
  createRingHash,
  type HashingOptions,
} from './hashing.js';
import { createLeastConnections, createLeastRequest } from './least-connections.js';
import { createRandom } from './random.js';
import { createRoundRobin } from './round-robin.js';
import { createWeightedRoundRobin } from './weighted-round-robin.js';

/** What a strategy may know about an upstream: a read-only view of its live state. */
export interface Host {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  /** The weight before slow start; hashing strategies lay out on it so warm-up does not remap keys. */
  readonly baseWeight?: number;
  readonly healthy: boolean;
  /** Requests sent to this host and not yet finished (for least-request style strategies). */
  readonly inflight: number;
}

/** The request being balanced, for strategies that hash on it (consistent hashing, affinity). */
export interface PickContext {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  /** The socket peer (the gateway, in the cluster); see hash-key.ts for X-Forwarded-For. */
  readonly remoteAddress?: string;
}

/**
 * A load-balancing strategy. `hosts` holds only the candidates (healthy, not yet tried for this
 * request), in a stable order (by id); the strategy never filters health itself.
 */
export interface Strategy {
  readonly name: string;
  /** Returns one of `hosts` (generic so callers get their own host type back), or undefined if empty. */
  pick<H extends Host>(hosts: readonly H[], ctx: PickContext): H | undefined;
}

/** Settings the hashing strategies read (the others ignore them). */
export type StrategyOptions = HashingOptions;

/** The defaults of the hashing settings; the config schema takes its defaults from here. */
export const DEFAULT_STRATEGY_OPTIONS: StrategyOptions = {
  hashKey: parseHashKey(DEFAULT_HASH_KEY),
  trustedHops: 0,
  vnodes: 160,
  boundedLoadFactor: 1.25,
  maglevSize: DEFAULT_MAGLEV_SIZE,
};

// Factories, not instances: each balancer gets its own strategy state (round-robin cursor etc.).
const registry = {
  'round-robin': createRoundRobin,
  'weighted-round-robin': createWeightedRoundRobin,
  'least-connections': createLeastConnections,
  'least-request': () => createLeastRequest(),
  random: createRandom,
  'ip-hash': createIpHash,
  'ring-hash': createRingHash,
  'bounded-load': createBoundedLoad,
  rendezvous: createRendezvousHash,
  maglev: createMaglevHash,
} as const satisfies Record<string, (options: StrategyOptions) => Strategy>;

export type StrategyName = keyof typeof registry;

/** Every strategy the lb knows, for the config schema (an unknown STRATEGY fails at boot). */
export const strategyNames = Object.keys(registry) as StrategyName[];

export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(registry, name);
}

/** A fresh strategy by name; throws on an unknown name (config validation normally catches it first). */
export function createStrategy(name: string, options: StrategyOptions = DEFAULT_STRATEGY_OPTIONS): Strategy {
  if (!isStrategyName(name)) throw new TypeError(`unknown strategy "${name}" (known: ${strategyNames.join(', ')})`);
  return registry[name](options);
}
