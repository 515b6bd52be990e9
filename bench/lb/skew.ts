// Experiment 2: load skew (max/mean requests per host) per lb strategy on a Zipf key distribution.
// Runs the lb's own strategy modules in-process: each request stays "in flight" for the next
// CONCURRENCY arrivals, so the load-aware strategies see a realistic inflight count.
// `npx tsc -b services/lb && node bench/lb/skew.ts [zipfS] [hosts]`.
import { parseHashKey } from '../../services/lb/dist/strategies/hash-key.js';
import { seededRandom } from '../cache/zipf.ts';
import {
  createStrategy,
  DEFAULT_STRATEGY_OPTIONS,
  strategyNames,
  type Host,
} from '../../services/lb/dist/strategies/strategy.js';

const S = Number(process.argv[2] ?? 1.1);
const HOSTS = Number(process.argv[3] ?? 5);
const DISTINCT_KEYS = 10_000;
const REQUESTS = 200_000;
const CONCURRENCY = 64;

const cdf: number[] = [];
let norm = 0;
for (let k = 1; k <= DISTINCT_KEYS; k++) cdf.push((norm += 1 / k ** S));
const zipfKey = (u: number): number => {
  const target = u * norm;
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
// Deterministic PRNG (mulberry32) so every strategy sees the same key sequence.
const rand = seededRandom(42);
const sequence = Array.from({ length: REQUESTS }, () => `user-${zipfKey(rand())}`);

interface SimHost extends Host {
  inflight: number;
}

function run(name: string): { maxMean: number; minMean: number; peakInflight: number } {
  const hosts: SimHost[] = Array.from({ length: HOSTS }, (_, i) => ({
    id: `api-${i + 1}`,
    url: '',
    weight: 1,
    healthy: true,
    inflight: 0,
  }));
  const strategy = createStrategy(name, { ...DEFAULT_STRATEGY_OPTIONS, hashKey: parseHashKey('header:x-user') });
  const counts = new Map<string, number>(hosts.map((h) => [h.id, 0]));
  const window: SimHost[] = [];
  let peakInflight = 0;
  for (const user of sequence) {
    if (window.length === CONCURRENCY) window.shift()!.inflight--;
    const host = strategy.pick(hosts, {
      method: 'GET',
      url: `/accounts/${user}`,
      headers: { 'x-user': user },
      requestId: '',
      remoteAddress: user,
    }) as SimHost;
    host.inflight++;
    peakInflight = Math.max(peakInflight, host.inflight);
    window.push(host);
    counts.set(host.id, counts.get(host.id)! + 1);
  }
  const mean = REQUESTS / HOSTS;
  return { maxMean: Math.max(...counts.values()) / mean, minMean: Math.min(...counts.values()) / mean, peakInflight };
}

const top = cdf[0]! / norm;
console.log(
  `load skew: ${REQUESTS} requests, Zipf s=${S} over ${DISTINCT_KEYS} keys (hottest key ${(top * 100).toFixed(1)}%), ${HOSTS} hosts, ${CONCURRENCY} in flight; hash key = the user (ip-hash: client address = the user)\n`,
);
console.log(
  '| strategy             | max/mean | min/mean | peak in-flight on one host (mean ' +
    (CONCURRENCY / HOSTS).toFixed(1) +
    ') |',
);
console.log('|----------------------|---------:|---------:|------:|');
for (const name of strategyNames) {
  const r = run(name);
  console.log(
    `| ${name.padEnd(20)} | ${r.maxMean.toFixed(3).padStart(8)} | ${r.minMean.toFixed(3).padStart(8)} | ${String(r.peakInflight).padStart(5)} |`,
  );
}
