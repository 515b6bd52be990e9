import { createHashRing, createMaglev, createRendezvous, DEFAULT_MAGLEV_SIZE, type HashNode } from '@sdl/hashing';

/** Strategies that map a key hash to a host; the page draws their key space as a ring. */
export const HASHING_STRATEGIES = ['ring-hash', 'bounded-load', 'rendezvous', 'maglev', 'ip-hash'] as const;

/** One stretch of the key space owned by one host: [start, end) as fractions of the 32-bit space. */
export interface RingArc {
  readonly host: string;
  readonly start: number;
  readonly end: number;
}

export interface RingView {
  readonly strategy: string;
  readonly arcs: readonly RingArc[];
  /** Share of the key space per host (0..1), in host order. */
  readonly shares: readonly { readonly host: string; readonly share: number }[];
}

/** Points sampled around the key space: enough to show 160 vnodes per host as separate arcs. */
const SAMPLES = 2048;

type Owner = (hash: number) => string | undefined;

// Layouts cost milliseconds (a Maglev table is 64 K slots): keep the last few, keyed by hosts.
const cache = new Map<string, Owner>();

function ownerFor(strategy: string, nodes: readonly HashNode[], vnodes: number): Owner {
  const key = `${strategy}|${vnodes}|${nodes.map((n) => `${n.id}:${n.weight}`).join(',')}`;
  let owner = cache.get(key);
  if (owner === undefined) {
    if (strategy === 'maglev') {
      const m = createMaglev(nodes, DEFAULT_MAGLEV_SIZE);
      owner = (h) => m.ownerOf(h);
    } else if (strategy === 'rendezvous') {
      const r = createRendezvous(nodes);
      owner = (h) => r.ownerOf(h);
    } else if (strategy === 'ip-hash') {
      owner = (h) => nodes[h % nodes.length]?.id;
    } else {
      const ring = createHashRing(nodes, { vnodes });
      owner = (h) => ring.ownerOf(h);
    }
    if (cache.size >= 8) cache.delete(cache.keys().next().value!);
    cache.set(key, owner);
  }
  return owner;
}

/**
 * The key space of a hashing strategy over the hosts that can take traffic, laid out with the lb's
 * own library (@sdl/hashing) and its defaults (160 vnodes per unit of weight, Maglev 65537 slots),
 * sampled at SAMPLES evenly spaced hashes. undefined when the strategy does not hash.
 */
export function ringView(strategy: string, nodes: readonly HashNode[], vnodes = 160): RingView | undefined {
  if (!(HASHING_STRATEGIES as readonly string[]).includes(strategy)) return undefined;
  if (nodes.length === 0) return { strategy, arcs: [], shares: [] };
  const owner = ownerFor(strategy, nodes, vnodes);
  const counts = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const arcs: RingArc[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const host = owner(Math.floor(((i + 0.5) * 2 ** 32) / SAMPLES) >>> 0) ?? '';
    counts.set(host, (counts.get(host) ?? 0) + 1);
    const last = arcs.at(-1);
    if (last?.host === host) arcs[arcs.length - 1] = { ...last, end: (i + 1) / SAMPLES };
    else arcs.push({ host, start: i / SAMPLES, end: (i + 1) / SAMPLES });
  }
  const shares = nodes.map((n) => ({ host: n.id, share: (counts.get(n.id) ?? 0) / SAMPLES }));
  return { strategy, arcs, shares };
}
