import type { Load } from '../experiment/schema.js';

/**
 * The intended send times of an open-model workload, in ms from the start: the i-th request of a
 * constant rate r is due at i / r; a ramp from a to b over D seconds has N(t) = a t + (b - a) t^2 / 2D
 * requests by t, so the i-th is due where N(t) = i. The times do not depend on answers: that is
 * what makes the model open.
 */
export function* arrivalTimes(rate: Load['rate'], durationS: number): Generator<number> {
  if ('constant' in rate) {
    for (let i = 0; i / rate.constant < durationS; i++) yield (i / rate.constant) * 1000;
    return;
  }
  const { from: a, to: b } = rate;
  const k = (b - a) / (2 * durationS);
  for (let i = 0; ; i++) {
    // Solve k t^2 + a t - i = 0 for t >= 0 (k = 0: constant rate a).
    const t = k === 0 ? (a === 0 ? Infinity : i / a) : (-a + Math.sqrt(a * a + 4 * k * i)) / (2 * k);
    if (!(t < durationS)) return;
    yield t * 1000;
  }
}

/** The arrival rate in force at `tS` seconds (for the progress line). */
export function rateAt(rate: Load['rate'], durationS: number, tS: number): number {
  if ('constant' in rate) return rate.constant;
  return rate.from + ((rate.to - rate.from) * Math.min(tS, durationS)) / durationS;
}
