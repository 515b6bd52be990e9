import { describe, expect, it } from 'vitest';
import { createShardMap, murmur3, partitionOf } from '../src/index.js';

describe('murmur3', () => {
  it('matches the reference vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });
});

describe('partitions and shard map', () => {
  it('spreads keys evenly over 64 partitions', () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) counts[partitionOf(`acc_${i}`)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it('assigns contiguous partition ranges to shards and rejects unknown shards', () => {
    const map = createShardMap(2);
    const shards = new Set<number>();
    for (let i = 0; i < 100; i++) shards.add(map.shardOf(`k${i}`).shard);
    expect([...shards].sort()).toEqual([0, 1]);
    const { partition, shard } = map.shardOf('abc');
    expect(shard).toBe(partition < 32 ? 0 : 1);
    expect(() => createShardMap(2, { version: 2, assignments: [0, 2] })).toThrow(RangeError);
  });
});
