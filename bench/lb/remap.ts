// Experiment 1: share of keys that change owner when a node joins or leaves, per hashing scheme,
// against the ideal (1/(n+1) on join, 1/n on leave) and modulo hashing as the baseline.
// Pure and in-process: `npx tsc -b libs/hashing && node bench/lb/remap.ts [keys]`.
import {
  createHashRing,
  createMaglev,
  createRendezvous,
  murmur3,
  type HashNode,
} from '../../libs/hashing/dist/index.js';

interface Owner {
  ownerOf(hash: number): string | undefined;
}

const KEY_COUNT = Number(process.argv[2] ?? 100_000);
const keys = Array.from({ length: KEY_COUNT }, (_, i) => murmur3(`key-${i}`));
const nodes = (n: number): HashNode[] => Array.from({ length: n }, (_, i) => ({ id: `node-${i}` }));

const schemes: Record<string, (ns: HashNode[]) => Owner> = {
  modulo: (ns) => ({ ownerOf: (h) => ns[h % ns.length]?.id }),
  'ring-hash (160 vnodes)': (ns) => createHashRing(ns, { vnodes: 160 }),
  rendezvous: (ns) => createRendezvous(ns),
  'maglev (65537)': (ns) => createMaglev(ns, 65537),
};

function movedShare(before: Owner, after: Owner): number {
  let moved = 0;
  for (const h of keys) if (before.ownerOf(h) !== after.ownerOf(h)) moved++;
  return moved / keys.length;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`.padStart(8);
const rows: string[] = [];
rows.push(`| scheme                 |  n | change       |    moved |    ideal | moved/ideal |`);
rows.push(`|------------------------|---:|--------------|---------:|---------:|------------:|`);
for (const n of [3, 5, 10, 30]) {
  for (const [name, build] of Object.entries(schemes)) {
    const base = build(nodes(n));
    const join = movedShare(base, build(nodes(n + 1)));
    // The node that leaves is from the middle of the list, so modulo cannot get lucky with the last one.
    const leaving = nodes(n).filter((_, i) => i !== Math.floor(n / 2));
    const leave = movedShare(base, build(leaving));
    for (const [change, moved, ideal] of [
      [`join ${n}->${n + 1}`, join, 1 / (n + 1)],
      [`leave ${n}->${n - 1}`, leave, 1 / n],
    ] as const) {
      rows.push(
        `| ${name.padEnd(22)} | ${String(n).padStart(2)} | ${change.padEnd(12)} | ${pct(moved)} | ${pct(ideal)} | ${(moved / ideal).toFixed(2).padStart(11)} |`,
      );
    }
  }
}
console.log(`key remapping, ${KEY_COUNT} keys (murmur3 of key-i)\n`);
console.log(rows.join('\n'));
