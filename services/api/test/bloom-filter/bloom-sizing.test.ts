import { describe, expect, it } from 'vitest';
import {
  bloomHashes,
  bloomPositions,
  bloomSizing,
  expectedFalsePositiveRate,
  MAX_BLOOM_BITS,
} from '../../src/bloom-filter/bloom-sizing.js';
import { testConfig } from '../support/helpers.js';

describe('bloom sizing', () => {
  it('follows m = -n ln p / (ln 2)^2 and k = (m / n) ln 2', () => {
    expect(bloomSizing(1_000_000, 0.01)).toEqual({ bits: 9_585_059, hashes: 7 });
    expect(bloomSizing(10_000, 0.1)).toEqual({ bits: 47_926, hashes: 3 });
    expect(bloomSizing(10_000, 0.001)).toEqual({ bits: 143_776, hashes: 10 });
    // At n ids the formula's own expectation is p (within the rounding of k).
    const sizing = bloomSizing(10_000, 0.01);
    expect(expectedFalsePositiveRate(sizing, 10_000)).toBeCloseTo(0.01, 3);
  });

  it('refuses shapes Redis cannot hold or that mean nothing', () => {
    expect(() => bloomSizing(0, 0.01)).toThrow(RangeError);
    expect(() => bloomSizing(100, 1)).toThrow(RangeError);
    expect(() => bloomSizing(1e9, 1e-9)).toThrow(/2\^32/);
    expect(bloomSizing(100_000_000, 0.000001).bits).toBeLessThanOrEqual(MAX_BLOOM_BITS);
  });

  it('double-hashes an id into k distinct, stable positions', () => {
    const sizing = bloomSizing(1000, 0.01);
    const positions = bloomPositions('acc_01M8X0DMMTWCQR0AZFKWGC9873', sizing);
    expect(positions).toHaveLength(sizing.hashes);
    expect(new Set(positions).size).toBe(sizing.hashes);
    expect(positions.every((p) => p >= 0 && p < sizing.bits)).toBe(true);
    expect(bloomPositions('acc_01M8X0DMMTWCQR0AZFKWGC9873', sizing)).toEqual(positions);
    expect(bloomHashes('a')[1] % 2).toBe(1);
  });

  it('is off by default, sized for a million ids at 1 %', () => {
    const config = testConfig({ SHARD_PRIMARIES: 'postgres://a/lab' });
    expect(config).toMatchObject({ bloomFilter: 'off', bloomExpectedItems: 1_000_000, bloomFalsePositiveRate: 0.01 });
    expect(() => testConfig({ SHARD_PRIMARIES: 'postgres://a/lab', BLOOM_FALSE_POSITIVE_RATE: '2' })).toThrow(
      /BLOOM_FALSE_POSITIVE_RATE/,
    );
  });
});
