import { describe, expect, it } from 'vitest';
import { loadBound } from '@sdl/hashing';
import { clientAddress, hashKeyOf, parseHashKey } from '../../src/strategies/hash-key.js';
import { createLeastRequest } from '../../src/strategies/least-connections.js';
import {
  createStrategy,
  DEFAULT_STRATEGY_OPTIONS,
  type Host,
  type PickContext,
} from '../../src/strategies/strategy.js';

interface TestHost extends Host {
  weight: number;
  inflight: number;
}
const make = (spec: Record<string, number>): TestHost[] =>
  Object.entries(spec).map(([id, weight]) => ({ id, url: `http://${id}`, weight, healthy: true, inflight: 0 }));
const ctx = (over: Partial<PickContext> = {}): PickContext => ({
  method: 'GET',
  url: '/',
  headers: {},
  requestId: 'r',
  ...over,
});
const HASHING = ['ring-hash', 'bounded-load', 'rendezvous', 'maglev', 'ip-hash'];

describe('weighted round robin (smooth, nginx)', () => {
  it('gives each host exactly its weight over every cycle, interleaved', () => {
    const hosts = make({ a: 5, b: 1, c: 1 });
    const wrr = createStrategy('weighted-round-robin');
    const picks = Array.from({ length: 7 * 20 }, () => wrr.pick(hosts, ctx())!.id);
    expect(picks.slice(0, 7).join('')).toBe('aabacaa');
    for (let cycle = 0; cycle < 20; cycle++) {
      const slice = picks.slice(cycle * 7, cycle * 7 + 7);
      expect(slice.filter((p) => p === 'a')).toHaveLength(5);
      expect(slice.filter((p) => p === 'b')).toHaveLength(1);
      expect(slice.filter((p) => p === 'c')).toHaveLength(1);
    }
  });
  it('keeps exact proportions 3:2:1 and never picks a weight-0 host', () => {
    const hosts = make({ a: 3, b: 2, c: 1, z: 0 });
    const wrr = createStrategy('weighted-round-robin');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const id = wrr.pick(hosts, ctx())!.id;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 300, b: 200, c: 100 });
  });
});

describe('least connections and power of two choices', () => {
  it('least-connections always takes the host with the fewest in-flight per weight', () => {
    const hosts = make({ a: 1, b: 1, c: 2 });
    hosts[0]!.inflight = 3;
    hosts[1]!.inflight = 1;
    hosts[2]!.inflight = 4; // (4+1)/2 = 2.5 > (1+1)/1
    const lc = createStrategy('least-connections');
    for (let i = 0; i < 20; i++) expect(lc.pick(hosts, ctx())!.id).toBe('b');
  });
  it('least-connections rotates among equally loaded hosts', () => {
    const lc = createStrategy('least-connections');
    const hosts = make({ a: 1, b: 1, c: 1 });
    expect(new Set(Array.from({ length: 9 }, () => lc.pick(hosts, ctx())!.id)).size).toBe(3);
  });
  it('least-request (P2C) prefers the less loaded of its two picks, and never picks the busiest of three', () => {
    const hosts = make({ a: 1, b: 1, c: 1 });
    hosts[2]!.inflight = 50;
    const p2c = createStrategy('least-request');
    const picks = Array.from({ length: 3000 }, () => p2c.pick(hosts, ctx())!.id);
    expect(picks.filter((p) => p === 'c')).toHaveLength(0);
    // Deterministic pair: a (busy) vs b (idle) -> b.
    const fixed = createLeastRequest(
      (
        (seq) => () =>
          seq.shift() ?? 0
      )([0, 0]),
    );
    hosts[0]!.inflight = 9;
    expect(fixed.pick(hosts, ctx())!.id).toBe('b');
  });
});

describe('client address and hash keys', () => {
  it('trusts exactly TRUSTED_HOPS entries of X-Forwarded-For', () => {
    const headers = { 'x-forwarded-for': 'forged, 1.1.1.1, 10.0.0.5' };
    expect(clientAddress(headers, '10.0.0.9', 0)).toBe('10.0.0.9');
    expect(clientAddress(headers, '10.0.0.9', 1)).toBe('10.0.0.5');
    expect(clientAddress(headers, '10.0.0.9', 2)).toBe('1.1.1.1');
    expect(clientAddress({}, '10.0.0.9', 3)).toBe('10.0.0.9');
    expect(clientAddress({ 'x-forwarded-for': 'a' }, 'peer', 5)).toBe('a');
  });
  it('parses HASH_KEY forms and reads the key from a header, a path segment or the client', () => {
    expect(parseHashKey('client')).toEqual({ kind: 'client' });
    expect(parseHashKey('header:X-User')).toEqual({ kind: 'header', name: 'x-user' });
    expect(parseHashKey('path:1')).toEqual({ kind: 'path', segment: 1 });
    expect(() => parseHashKey('cookie:x')).toThrow(TypeError);
    const req = { url: '/accounts/acc_42/tx?x=1', headers: { 'x-user': 'u1' }, remoteAddress: '9.9.9.9' };
    expect(hashKeyOf(req, parseHashKey('header:x-user'), 0)).toBe('u1');
    expect(hashKeyOf(req, parseHashKey('path:1'), 0)).toBe('acc_42');
    expect(hashKeyOf(req, parseHashKey('path:5'), 0)).toBe('9.9.9.9');
    expect(hashKeyOf(req, parseHashKey('header:x-none'), 0)).toBe('9.9.9.9');
  });
});

describe('hashing strategies', () => {
  it('send the same key to the same host, and spread different keys over all hosts', () => {
    const hosts = make({ a: 1, b: 1, c: 1 });
    for (const name of HASHING.filter((n) => n !== 'ip-hash')) {
      const strategy = createStrategy(name, { ...DEFAULT_STRATEGY_OPTIONS, hashKey: parseHashKey('header:x-user') });
      const seen = new Set<string>();
      for (let u = 0; u < 300; u++) {
        const c = ctx({ headers: { 'x-user': `user-${u}` }, remoteAddress: '1.2.3.4' });
        const first = strategy.pick(hosts, c)!.id;
        expect(strategy.pick(hosts, c)!.id, name).toBe(first);
        seen.add(first);
      }
      expect(seen.size, name).toBe(3);
    }
  });
  it('ip-hash keys on the trusted client address', () => {
    const hosts = make({ a: 1, b: 1, c: 1, d: 1 });
    const ipHash = createStrategy('ip-hash', { ...DEFAULT_STRATEGY_OPTIONS, trustedHops: 1 });
    const from = (client: string, forged: string) =>
      ipHash.pick(hosts, ctx({ headers: { 'x-forwarded-for': `${forged}, ${client}` }, remoteAddress: '10.0.0.2' }))!
        .id;
    for (let i = 0; i < 50; i++) expect(from(`7.7.7.${i}`, 'x')).toBe(from(`7.7.7.${i}`, `forged-${i}`));
  });
  it('bounded-load never lets a host exceed c x average in-flight, even when every request has one key', () => {
    const hosts = make({ a: 1, b: 1, c: 1, d: 1 });
    const bl = createStrategy('bounded-load', {
      ...DEFAULT_STRATEGY_OPTIONS,
      hashKey: parseHashKey('header:k'),
      boundedLoadFactor: 1.25,
    });
    for (let i = 0; i < 400; i++) {
      const total = hosts.reduce((sum, h) => sum + h.inflight, 0);
      const host = bl.pick(hosts, ctx({ headers: { k: 'hot' } })) as TestHost;
      host.inflight++;
      expect(host.inflight).toBeLessThanOrEqual(loadBound(total, 4, 1.25));
    }
    expect(Math.max(...hosts.map((h) => h.inflight))).toBeLessThanOrEqual(125);
  });
  it('a hashing strategy moves only the keys of a host that leaves', () => {
    const all = make({ a: 1, b: 1, c: 1, d: 1 });
    for (const name of ['ring-hash', 'rendezvous']) {
      const strategy = createStrategy(name, { ...DEFAULT_STRATEGY_OPTIONS, hashKey: parseHashKey('path:0') });
      for (let k = 0; k < 500; k++) {
        const c = ctx({ url: `/k${k}` });
        const before = strategy.pick(all, c)!.id;
        const after = strategy.pick(
          all.filter((h) => h.id !== 'b'),
          c,
        )!.id;
        if (before !== 'b') expect(after, name).toBe(before);
      }
    }
  });
});
