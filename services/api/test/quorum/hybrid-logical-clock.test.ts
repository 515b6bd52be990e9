import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  formatVersion,
  HybridLogicalClock,
  parseVersion,
} from '../../src/quorum/hybrid-logical-clock.js';

describe('hybrid logical clock', () => {
  it('issues growing versions while the wall clock stands still or goes back', () => {
    let wall = 1_000;
    const clock = new HybridLogicalClock('api-1', () => wall);
    const versions = [clock.tick(), clock.tick()];
    wall = 900;
    versions.push(clock.tick());
    wall = 2_000;
    versions.push(clock.tick());
    expect(versions.map((v) => parseVersion(v))).toEqual([
      { ms: 1000, counter: 0, node: 'api-1' },
      { ms: 1000, counter: 1, node: 'api-1' },
      { ms: 1000, counter: 2, node: 'api-1' },
      { ms: 2000, counter: 0, node: 'api-1' },
    ]);
    expect([...versions].sort(compareVersions)).toEqual(versions);
  });

  it('ticks past a version observed from a node whose clock is ahead', () => {
    const behind = new HybridLogicalClock('api-1', () => 1_000);
    const ahead = new HybridLogicalClock('api-2', () => 5_000);
    const seen = ahead.tick();
    expect(compareVersions(behind.tick(), seen)).toBe(-1);
    behind.observe(seen);
    const next = behind.tick();
    expect(compareVersions(next, seen)).toBe(1);
    expect(parseVersion(next)).toEqual({ ms: 5000, counter: 1, node: 'api-1' });
    behind.observe('not a version');
    expect(compareVersions(behind.tick(), next)).toBe(1);
  });

  it('orders by time, then counter, then node id, as strings of fixed width', () => {
    const order = [
      { ms: 999, counter: 7, node: 'api-9' },
      { ms: 1000, counter: 0, node: 'api-1' },
      { ms: 1000, counter: 0, node: 'api-2' },
      { ms: 1000, counter: 10, node: 'api-1' },
      { ms: 1_764_733_290_123, counter: 0, node: 'a' },
    ].map(formatVersion);
    expect([...order].reverse().sort(compareVersions)).toEqual(order);
    expect(order[1]).toBe('000000000001000-000000-api-1');
  });

  it('moves to the next millisecond when the counter is full', () => {
    const clock = new HybridLogicalClock('n', () => 1);
    clock.observe(formatVersion({ ms: 1, counter: 999_999, node: 'm' }));
    expect(parseVersion(clock.tick())).toEqual({ ms: 2, counter: 0, node: 'n' });
  });
});
