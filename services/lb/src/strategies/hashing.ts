import { boundedLoadOwner, createHashRing, createMaglev, createRendezvous, murmur3, type HashNode } from '@sdl/hashing';
import { hashKeyOf, type HashKey } from './hash-key.js';
import type { Host, PickContext, Strategy } from './strategy.js';

export interface HashingOptions {
  readonly hashKey: HashKey;
  readonly trustedHops: number;
  /** Ring points per unit of weight. */
  readonly vnodes: number;
  /** Bounded load: a host takes at most c x the average in-flight load. */
  readonly boundedLoadFactor: number;
  /** Maglev table size (prime). */
  readonly maglevSize: number;
}

interface Owner {
  ownerOf(hash: number): string | undefined;
}

/**
 * Layouts are costly to build (a Maglev table is 64 K slots), so they are cached per candidate
 * set: the healthy set, plus the few sets a retry (which excludes tried hosts) produces.
 */
function layoutCache<L>(build: (nodes: HashNode[]) => L): (hosts: readonly Host[]) => L {
  const cache = new Map<string, L>();
  return (hosts) => {
    const signature = hosts.map((h) => `${h.id}\u0000${h.baseWeight ?? h.weight}`).join('\u0001');
    let layout = cache.get(signature);
    if (layout === undefined) {
      layout = build(hosts.map((h) => ({ id: h.id, weight: Math.max(0.01, h.baseWeight ?? h.weight) })));
      if (cache.size >= 8) cache.delete(cache.keys().next().value!);
      cache.set(signature, layout);
    }
    return layout;
  };
}

function byOwner<H extends Host>(hosts: readonly H[], id: string | undefined): H | undefined {
  return hosts.find((h) => h.id === id) ?? hosts[0];
}

function keyed(name: string, options: HashingOptions, build: (nodes: HashNode[]) => Owner): Strategy {
  const layoutFor = layoutCache(build);
  return {
    name,
    pick<H extends Host>(hosts: readonly H[], ctx: PickContext): H | undefined {
      if (hosts.length === 0) return undefined;
      const hash = murmur3(hashKeyOf(ctx, options.hashKey, options.trustedHops));
      return byOwner(hosts, layoutFor(hosts).ownerOf(hash));
    },
  };
}

/** Consistent-hash ring with virtual nodes (ketama style). */
export const createRingHash = (o: HashingOptions): Strategy =>
  keyed('ring-hash', o, (n) => createHashRing(n, { vnodes: o.vnodes }));

/** Rendezvous (highest random weight) hashing. */
export const createRendezvousHash = (o: HashingOptions): Strategy => keyed('rendezvous', o, (n) => createRendezvous(n));

/** Maglev lookup table. */
export const createMaglevHash = (o: HashingOptions): Strategy =>
  keyed('maglev', o, (n) => createMaglev(n, o.maglevSize));

/** Consistent hashing with bounded loads: the ring owner unless it carries more than c x average in-flight. */
export function createBoundedLoad(options: HashingOptions): Strategy {
  const layoutFor = layoutCache((n) => createHashRing(n, { vnodes: options.vnodes }));
  return {
    name: 'bounded-load',
    pick<H extends Host>(hosts: readonly H[], ctx: PickContext): H | undefined {
      if (hosts.length === 0) return undefined;
      const hash = murmur3(hashKeyOf(ctx, options.hashKey, options.trustedHops));
      const inflight = new Map(hosts.map((h) => [h.id, h.inflight]));
      return byOwner(
        hosts,
        boundedLoadOwner(layoutFor(hosts), hash, (id) => inflight.get(id) ?? 0, options.boundedLoadFactor),
      );
    },
  };
}

/** nginx-style ip_hash: the client address modulo the host count (the baseline the others beat). */
export function createIpHash(options: Pick<HashingOptions, 'trustedHops'>): Strategy {
  const key: HashKey = { kind: 'client' };
  return {
    name: 'ip-hash',
    pick<H extends Host>(hosts: readonly H[], ctx: PickContext): H | undefined {
      if (hosts.length === 0) return undefined;
      return hosts[murmur3(hashKeyOf(ctx, key, options.trustedHops)) % hosts.length];
    },
  };
}
