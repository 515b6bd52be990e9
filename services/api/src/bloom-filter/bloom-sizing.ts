import { murmur3 } from '@sdl/hashing';

/** Redis strings hold at most 512 MB: 2^32 bits is the largest bit array SETBIT can address. */
export const MAX_BLOOM_BITS = 2 ** 32;

/** A Bloom filter's shape: m bits and k hash functions. */
export interface BloomSizing {
  readonly bits: number;
  readonly hashes: number;
}

/**
 * The standard sizing for `expectedItems` (n) at false-positive rate `falsePositiveRate` (p):
 * m = -n ln p / (ln 2)^2 bits and k = (m / n) ln 2 hash functions (rounded up, at least 1).
 */
export function bloomSizing(expectedItems: number, falsePositiveRate: number): BloomSizing {
  if (!(expectedItems >= 1) || !(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new RangeError(`bloom sizing needs n >= 1 and 0 < p < 1 (got n=${expectedItems}, p=${falsePositiveRate})`);
  }
  const bits = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / Math.LN2 ** 2);
  if (bits > MAX_BLOOM_BITS) throw new RangeError(`bloom filter of ${bits} bits exceeds Redis's 2^32-bit strings`);
  return { bits, hashes: Math.max(1, Math.round((bits / expectedItems) * Math.LN2)) };
}

/** The false-positive rate the formulas expect for `items` ids in a filter of this shape. */
export function expectedFalsePositiveRate(sizing: BloomSizing, items: number): number {
  return (1 - Math.exp((-sizing.hashes * items) / sizing.bits)) ** sizing.hashes;
}

const SEED_1 = 0x5bd1e995;
const SEED_2 = 0x1b873593;

/**
 * Double hashing (Kirsch and Mitzenmacher): two independent 32-bit murmur3 hashes h1, h2 give all
 * k positions as (h1 + i * h2) mod m, i = 0..k-1. h2 is odd so that it never collapses to one bit.
 * The positions are computed in the Lua scripts, which know each generation's m and k.
 */
export function bloomHashes(id: string): readonly [number, number] {
  return [murmur3(id, SEED_1), (murmur3(id, SEED_2) | 1) >>> 0];
}

/** The k bit positions of `id` in a filter of this shape (what the scripts compute; for tests). */
export function bloomPositions(id: string, sizing: BloomSizing): number[] {
  const [h1, h2] = bloomHashes(id);
  return Array.from({ length: sizing.hashes }, (_, i) => (h1 + i * h2) % sizing.bits);
}
