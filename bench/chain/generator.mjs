/* global URL, performance, setTimeout */
// Runs INSIDE a throwaway container on the compose network (bench/chain/chain.ts copies it in):
// one HTTP load generator, on undici, printing one JSON line.
//   closed <url> <connections> <seconds> <headers-json>   saturation: each connection sends again when answered
//   open <url> <rate> <seconds> <headers-json>            open model: sends on schedule; latency from the intended time
// Each run is a new process on new connections: the first WARMUP_S (default 2; closed: 0) are sent
// but not measured, so p99 is the steady state's rather than a cold JIT's and first connects'.
import { Pool } from 'undici';

const [mode, urls, amount, seconds, headersJson] = process.argv.slice(2);
// Several URLs (comma-separated, same origin) are sent round-robin, in step with the header sets.
const targets = urls.split(',').map((u) => new URL(u));
const target = targets[0];
// A header whose value is a list is sent round-robin (several API keys: one key's rate limit
// would otherwise cap the measurement).
const headerSets = (() => {
  const h = JSON.parse(headersJson ?? '{}');
  const lists = Object.entries(h).filter(([, v]) => Array.isArray(v));
  const n = Math.max(1, ...lists.map(([, v]) => v.length));
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v[i % v.length] : v])),
  );
})();
let sent = 0;
const warmupMs = Number(process.env.WARMUP_S ?? (mode === 'open' ? 2 : 0)) * 1000;
const durationMs = Number(seconds) * 1000 + warmupMs;
const pool = new Pool(target.origin, { connections: mode === 'closed' ? Number(amount) : 256, pipelining: 1 });
const latencies = [];
const statuses = {};
let errors = 0;

async function one(intended) {
  const measured = intended >= started + warmupMs;
  try {
    const i = sent++;
    const headers = headerSets[i % headerSets.length];
    const t = targets[i % targets.length];
    const res = await pool.request({ method: 'GET', path: t.pathname + t.search, headers });
    await res.body.dump();
    if (!measured) return;
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    if (res.statusCode < 400) latencies.push(performance.now() - intended);
    else errors++;
  } catch {
    if (measured) errors++;
  }
}

const started = performance.now();
const end = started + durationMs;

if (mode === 'closed') {
  await Promise.all(
    Array.from({ length: Number(amount) }, async () => {
      while (performance.now() < end) await one(performance.now());
    }),
  );
} else {
  const rate = Number(amount);
  const inflight = [];
  for (let i = 0; ; i++) {
    const intended = started + (i * 1000) / rate;
    if (intended >= end) break;
    const wait = intended - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(one(intended));
  }
  await Promise.all(inflight);
}
const elapsed = (performance.now() - started - warmupMs) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) =>
  latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
process.stdout.write(
  JSON.stringify({
    ok: latencies.length,
    errors,
    statuses,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  }) + '\n',
);
await pool.close();
