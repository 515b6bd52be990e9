// Seeded key streams for the cache experiments: a small PRNG and a Zipf sampler over ranks 0..n-1.

/** mulberry32: a seeded 32-bit PRNG, uniform in [0, 1). Same seed, same stream on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** P(rank i) proportional to 1 / (i + 1)^s, as a cumulative table (the last entry is 1). */
export function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i += 1) {
    sum += 1 / Math.pow(i + 1, s);
    cdf[i] = sum;
  }
  for (let i = 0; i < n; i += 1) cdf[i]! /= sum;
  return cdf;
}

/** `count` ranks drawn from the Zipf distribution by inverse CDF (binary search, O(log n) each). */
export function zipfStream(n: number, s: number, count: number, seed: number): Uint32Array {
  const cdf = zipfCdf(n, s);
  const random = seededRandom(seed);
  const out = new Uint32Array(count);
  for (let k = 0; k < count; k += 1) {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[k] = lo;
  }
  return out;
}

/** The best any fixed set of `entries` keys can do: the probability mass of the top `entries` ranks. */
export function topMass(n: number, s: number, entries: number): number {
  const cdf = zipfCdf(n, s);
  return entries <= 0 ? 0 : cdf[Math.min(n, entries) - 1]!;
}
